#include "crc16.h"

/* Bitwise, no table: 512 bytes of flash saved, and a frame of a few
 * hundred bytes at 115 200 baud leaves the CPU idle anyway. */
uint16_t crc16(const uint8_t *p, size_t n)
{
	uint16_t crc = 0xFFFF;
	for (size_t i = 0; i < n; i++) {
		crc ^= (uint16_t)((uint16_t)p[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = (uint16_t)((crc & 0x8000) ? ((crc << 1) ^ 0x1021) : (crc << 1));
	}
	return crc;
}
