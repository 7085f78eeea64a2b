#include "cobs.h"

size_t cobs_encode(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t code_at = 0, o = 1;
	uint8_t code = 1;
	for (size_t i = 0; i < n; i++) {
		if (in[i] == 0) {
			out[code_at] = code;
			code_at = o++;
			code = 1;
			continue;
		}
		out[o++] = in[i];
		code++;
		if (code == 0xFF && i + 1 < n) {
			out[code_at] = code;
			code_at = o++;
			code = 1;
		}
	}
	out[code_at] = code;
	return o;
}

long cobs_decode(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t i = 0, o = 0;
	while (i < n) {
		uint8_t code = in[i++];
		if (code == 0 || (size_t)(code - 1) > n - i)
			return -1;
		for (uint8_t k = 1; k < code; k++) {
			if (in[i] == 0)
				return -1;
			out[o++] = in[i++];
		}
		if (code != 0xFF && i < n)
			out[o++] = 0;
	}
	return (long)o;
}
