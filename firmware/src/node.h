/* The node: one lock (with keypad and door contact) or one boiler relay
 * (with a temperature sensor), driven by the hub over the link, falling back
 * to safe local behaviour on its own when the hub goes silent.
 *
 * Portable: no heap, no globals, time passed in (milliseconds from any
 * origin, wrapping). A board's main loop feeds bytes, inputs and the time. */
#ifndef NODE_NODE_H
#define NODE_NODE_H
#include <stdbool.h>
#include <stdint.h>

#include "link.h"

#define NODE_HEARTBEAT_MS 1000    /* a heartbeat each way this often */
#define NODE_HUB_TIMEOUT_MS 5000  /* no valid frame from the hub: local mode */
#define NODE_RETRANSMIT_MS 300    /* an unacknowledged report is resent */
#define NODE_RING 32              /* reports held while the hub is away */
#define NODE_UNLOCK_DEFAULT_MS 5000
#define NODE_UNLOCK_MAX_MS 60000
#define NODE_PIN_MAX_DIGITS 8
#define NODE_PIN_FAILS 5          /* wrong PINs before a lockout */
#define NODE_LOCKOUT_MS 30000     /* first lockout; doubles, up to ... */
#define NODE_LOCKOUT_MAX_MS 900000
#define NODE_BOOT_HOLD_MS 10000   /* keypad refused this long after reset */
#define NODE_MAX_RUN_MS 3600000   /* boiler relay on at most this long ... */
#define NODE_REST_MS 600000       /* ... then off at least this long */
#define NODE_FROST_ON_CENTI 500   /* local frost guard: on below 5.00 °C */
#define NODE_FROST_OFF_CENTI 800  /* ... off again at 8.00 °C */
#define NODE_TEMP_STALE_MS 60000  /* a reading older than this is no reading */

struct node_report {
	uint8_t type; /* MSG_STATE, MSG_DOOR, MSG_KEYPAD, MSG_ALARM */
	uint8_t a;    /* door: open; keypad: result; alarm: code */
	bool opened;  /* keypad */
	uint32_t arg; /* keypad: user; alarm: arg */
	uint32_t no, t_ms;
	/* state: a snapshot taken when queued, so that the reports tell the
	 * changes in the order they happened */
	uint8_t mode, door;
	bool output, temp_valid;
	int32_t temp_centi;
	uint32_t pin_count, lockout_ms;
};

struct node {
	uint8_t kind;
	const char *version;
	uint32_t reset_cause, hub_token;
	uint32_t now;
	uint8_t mode;
	uint32_t last_hub_rx, last_hb_tx;

	struct link_rx rx;
	struct link_msg msg; /* scratch: decoded or being encoded */
	bool rx_any;
	uint8_t rx_seq, rx_status; /* last reliable seq from the hub and our answer */

	/* reports: ring[head] is the one in flight when inflight is set */
	struct node_report ring[NODE_RING];
	uint8_t head, count;
	uint32_t next_no, dropped;
	bool inflight;
	uint8_t tx_seq;
	uint32_t tx_at;
	uint8_t tx_frame[LINK_MAX_WIRE];
	size_t tx_len;

	/* lock */
	bool unlocked, door_opened_while_unlocked;
	uint32_t unlock_until;
	uint8_t door;
	struct pin_table pins;
	char keys[NODE_PIN_MAX_DIGITS];
	uint8_t nkeys;
	uint8_t fails, lockouts;
	uint32_t lockout_until;

	/* boiler */
	bool relay, frost;
	uint32_t relay_since, rest_until;
	bool temp_valid;
	int32_t temp_centi, temp_reported;
	uint32_t temp_at;
};

/* node_init sets the node up at reset (outputs already safe); pins may be
 * NULL or a table the board kept. reset_cause 1: the watchdog reset it. */
void node_init(struct node *n, uint8_t kind, const char *version, uint32_t reset_cause,
	       const struct pin_table *pins, uint32_t now);
void node_rx(struct node *n, uint8_t b);
/* node_tick runs the timers; call it every loop with the current time. */
void node_tick(struct node *n, uint32_t now);
/* Inputs. key: '0'-'9' a digit, '*' clear, '#' enter. */
void node_key(struct node *n, char key);
void node_door(struct node *n, bool open);
void node_temp(struct node *n, bool valid, int32_t centi);

#endif
