#ifndef NODE_FAKE_BOARD_H
#define NODE_FAKE_BOARD_H
#include "../src/board.h"

struct fake_board {
	bool unlocked, relay;
	int safe_calls, lock_writes, relay_writes, store_calls;
	uint8_t out[65536];
	size_t out_len;
	struct pin_table stored;
};
extern struct fake_board fb;
void fake_board_reset(void);

#endif
