/* CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final
 * xor): the frame check of the node link. check("123456789") = 0x29B1. */
#ifndef NODE_CRC16_H
#define NODE_CRC16_H
#include <stddef.h>
#include <stdint.h>

uint16_t crc16(const uint8_t *p, size_t n);

#endif
