/* The board of the host tests: outputs are variables, the link is a
 * buffer the test reads back as the hub would. */
#include "fake_board.h"

#include <string.h>

struct fake_board fb;

void fake_board_reset(void) { memset(&fb, 0, sizeof fb); fb.safe_calls = 0; }
void board_safe_outputs(void) { fb.unlocked = false; fb.relay = false; fb.safe_calls++; }
void board_set_lock(bool unlocked) { fb.unlocked = unlocked; fb.lock_writes++; }
void board_set_relay(bool on) { fb.relay = on; fb.relay_writes++; }

void board_link_write(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n && fb.out_len < sizeof fb.out; i++)
		fb.out[fb.out_len++] = p[i];
}

void board_store_pins(const struct pin_table *t)
{
	fb.stored = *t;
	fb.store_calls++;
}
