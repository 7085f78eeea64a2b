#ifndef NODE_VECTORS_H
#define NODE_VECTORS_H
#include <stdbool.h>
#include <stddef.h>

#include "../src/link.h"

struct bad_vector {
	const char *name;
	unsigned char payload[64];
	size_t len;
};

extern const char *const good_vectors[];
extern const struct bad_vector bad_vectors[];
bool good_vector(const char *name, struct link_msg *m);
void pin_entry(struct pin_entry *e, uint32_t user, const char *pin, uint8_t salt_first,
	       uint32_t iterations);

#endif
