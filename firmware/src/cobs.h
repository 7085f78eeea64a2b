/* Consistent Overhead Byte Stuffing: a frame on the wire holds no zero
 * byte, so 0x00 delimits frames and a receiver resynchronises at the next
 * zero after any garbage. */
#ifndef NODE_COBS_H
#define NODE_COBS_H
#include <stddef.h>
#include <stdint.h>

/* Worst-case encoded size of n bytes (without the 0x00 delimiter). */
#define COBS_MAX(n) ((n) + (n) / 254 + 1)

/* Encodes n bytes of in into out (COBS_MAX(n) bytes room); returns the
 * encoded length. Canonical: a block of 254 non-zero bytes that ends the
 * input is not followed by an empty block. */
size_t cobs_encode(const uint8_t *in, size_t n, uint8_t *out);

/* Decodes n bytes (no delimiter) into out (n bytes room; in == out is
 * allowed). Returns the decoded length, or -1 when in holds a zero byte or
 * a block runs past the end. */
long cobs_decode(const uint8_t *in, size_t n, uint8_t *out);

#endif
