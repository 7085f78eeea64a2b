// The node's own link code, compiled for the host so that Go's fuzzer can
// drive it beside the Go decoder (cnode.go).
#include "../../../firmware/src/cbor.c"
#include "../../../firmware/src/cobs.c"
#include "../../../firmware/src/crc16.c"
#include "../../../firmware/src/link.c"

#include "cnode.h"

static struct link_rx rx;
static struct link_msg msg;

void cnode_rx_reset(void) { link_rx_init(&rx); }

int cnode_rx_byte(uint8_t b, const uint8_t **payload)
{
	int k = link_rx_byte(&rx, b);
	*payload = rx.buf;
	return k;
}

size_t cnode_reencode(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
	if (!link_decode(p, n, &msg))
		return 0;
	return link_encode(&msg, out, cap);
}
