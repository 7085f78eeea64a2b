#include <stddef.h>
#include <stdint.h>

void cnode_rx_reset(void);
int cnode_rx_byte(uint8_t b, const uint8_t **payload);
size_t cnode_reencode(const uint8_t *p, size_t n, uint8_t *out, size_t cap);
