/* SHA-256 (FIPS 180-4), HMAC-SHA256 (RFC 2104) and PBKDF2-HMAC-SHA256
 * (RFC 8018) with one 32-byte output block: the keypad PIN verifier. */
#ifndef NODE_SHA256_H
#define NODE_SHA256_H
#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint8_t block[64];
	uint32_t fill;
	uint64_t total;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const uint8_t *p, size_t n);
void sha256_final(struct sha256 *s, uint8_t out[32]);

/* pbkdf2_sha256 derives 32 bytes (dkLen = hLen, so one block: T1). */
void pbkdf2_sha256(const uint8_t *pw, size_t pwlen, const uint8_t *salt, size_t saltlen,
		   uint32_t iterations, uint8_t out[32]);

#endif
