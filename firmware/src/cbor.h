/* The CBOR subset of the node link (RFC 8949): unsigned and negative
 * integers up to 32 bits, byte and text strings, definite-length arrays,
 * false, true and null. Writers emit the shortest form; readers refuse
 * anything else (longer forms, 64-bit heads, indefinite lengths, maps,
 * tags, floats, other simple values), so each message has one encoding. */
#ifndef NODE_CBOR_H
#define NODE_CBOR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cbor_w {
	uint8_t *buf;
	size_t cap, len;
	bool overflow; /* set once a write did not fit; the message is void */
};

void cbor_w_init(struct cbor_w *w, uint8_t *buf, size_t cap);
void cbor_put_uint(struct cbor_w *w, uint32_t v);
void cbor_put_int(struct cbor_w *w, int32_t v);
void cbor_put_bytes(struct cbor_w *w, const uint8_t *p, size_t n);
void cbor_put_text(struct cbor_w *w, const char *s);
void cbor_put_array(struct cbor_w *w, uint32_t n);
void cbor_put_bool(struct cbor_w *w, bool v);
void cbor_put_null(struct cbor_w *w);

struct cbor_r {
	const uint8_t *buf;
	size_t len, pos;
	bool bad; /* sticky: once set every read fails */
};

void cbor_r_init(struct cbor_r *r, const uint8_t *buf, size_t len);
bool cbor_get_uint(struct cbor_r *r, uint32_t *v);
bool cbor_get_int(struct cbor_r *r, int32_t *v);
bool cbor_get_bytes(struct cbor_r *r, const uint8_t **p, size_t *n);
bool cbor_get_text(struct cbor_r *r, const char **p, size_t *n);
bool cbor_get_array(struct cbor_r *r, uint32_t *n);
bool cbor_get_bool(struct cbor_r *r, bool *v);
/* cbor_peek_null consumes a null and returns true, or leaves r alone. */
bool cbor_peek_null(struct cbor_r *r);
/* cbor_end is true when every byte was read and nothing was bad. */
bool cbor_end(const struct cbor_r *r);

#endif
