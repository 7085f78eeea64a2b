/* What the node logic needs from a board. Each board file (boards/) and the
 * host tests implement these. None may block for long: the main loop feeds
 * the watchdog. */
#ifndef NODE_BOARD_H
#define NODE_BOARD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "link.h"

/* Drives every output to its safe level: lock locked (fail-secure: relay
 * de-energised), boiler relay off. Called first thing after reset, before
 * memory is initialised: it may use no global variable. */
void board_safe_outputs(void);
void board_set_lock(bool unlocked);
void board_set_relay(bool on);
/* Queues bytes on the link UART; drops what does not fit (the peer
 * retransmits: the link is lossy by design). */
void board_link_write(const uint8_t *p, size_t n);
/* Keeps the PIN table across resets where the board can (flash). */
void board_store_pins(const struct pin_table *t);

#endif
