/* The node link: messages, their CBOR encoding, and frames on the wire.
 *
 * A frame is 0x00, COBS(payload || CRC-16 of payload, big-endian), 0x00:
 * the leading delimiter ends any noise before it. The payload is the CBOR array [seq, ack, type, body]. docs/protocol.md
 * ("Node link") has the CDDL; firmware/testdata/link-vectors.txt holds frames
 * that this code and internal/nodelink both check. */
#ifndef NODE_LINK_H
#define NODE_LINK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cobs.h"

#define LINK_PROTO 1
#define LINK_MAX_PAYLOAD 512
/* Bytes of a frame between delimiters, at most. */
#define LINK_MAX_FRAME COBS_MAX(LINK_MAX_PAYLOAD + 2)
/* Bytes link_encode writes at most. */
#define LINK_MAX_WIRE (LINK_MAX_FRAME + 2)

/* Every type has one direction: below 32 hub to node, from 32 node to hub.
 * A receiver ignores the other direction's types, so a line looped back
 * (TX to RX) cannot pass the node's own heartbeats off as the hub's. */
enum link_type {
	MSG_HUB_HELLO = 1,
	MSG_HUB_HEARTBEAT = 2,
	MSG_HUB_ACK = 3,
	MSG_LOCK = 10,
	MSG_RELAY = 11,
	MSG_PINS = 12,
	MSG_STATE_REQ = 13,
	MSG_NODE_HELLO = 33,
	MSG_NODE_HEARTBEAT = 34,
	MSG_NODE_ACK = 35,
	MSG_STATE = 40,
	MSG_DOOR = 41,
	MSG_KEYPAD = 42,
	MSG_ALARM = 43,
};
#define MSG_FROM_NODE 32

enum node_kind { KIND_HUB = 0, KIND_LOCK = 1, KIND_BOILER = 2 };
enum ack_status { ACK_OK = 0, ACK_UNSUPPORTED = 1, ACK_BAD = 2, ACK_REFUSED = 3 };
enum node_mode { MODE_HUB = 0, MODE_LOCAL = 1 };
enum door_state { DOOR_CLOSED = 0, DOOR_OPEN = 1, DOOR_NONE = 2 };
enum keypad_result { KEYPAD_GRANTED = 0, KEYPAD_DENIED = 1, KEYPAD_LOCKED_OUT = 2 };
enum alarm_code {
	ALARM_HUB_LOST = 1,    /* heartbeat lost: outputs safe, local mode */
	ALARM_MAX_RUN = 2,     /* boiler relay cut after its maximum run */
	ALARM_FROST_ON = 3,    /* local frost guard switched the relay on */
	ALARM_SENSOR = 4,      /* no valid temperature: relay off */
	ALARM_WATCHDOG = 5,    /* the last reset was the watchdog's */
	ALARM_DOOR_FORCED = 6, /* door opened while locked */
	ALARM_LOCKOUT = 7,     /* keypad locked out; arg: seconds */
	ALARM_DROPPED = 8,     /* report ring overflowed; arg: reports lost */
};

#define PIN_MAX_ENTRIES 8
#define PIN_SALT_LEN 16
#define PIN_HASH_LEN 32
#define PIN_MAX_ITERATIONS 20000
#define VERSION_MAX 24

struct pin_entry {
	uint32_t user;
	uint8_t salt[PIN_SALT_LEN];
	uint8_t hash[PIN_HASH_LEN];
};

struct pin_table {
	uint32_t iterations;
	uint32_t count;
	struct pin_entry e[PIN_MAX_ENTRIES];
};

/* One message, either direction. Only the fields of its type are used. */
struct link_msg {
	uint32_t seq; /* 0: unreliable (heartbeat, ack); 1..255 reliable */
	uint32_t ack; /* the last reliable seq received from the peer, 0 none */
	uint32_t type;
	/* hello; token: the hub's hello carries a fresh one, the node's echoes
	 * the last it received (0 after a reset), so the hub tells an answer to
	 * its hello from a node that restarted */
	uint32_t proto, kind, reset_cause, token;
	char version[VERSION_MAX + 1];
	/* heartbeat */
	uint32_t uptime_ms;
	/* ack */
	uint32_t status;
	/* lock, relay */
	bool on; /* lock: true = unlock; relay: true = on */
	uint32_t ms;
	/* pins */
	struct pin_table pins;
	/* reports: number (per boot) and node uptime when it happened */
	uint32_t no, t_ms;
	/* state */
	uint32_t mode;
	bool output; /* lock: unlocked; boiler: relay on */
	uint32_t door;
	bool temp_valid;
	int32_t temp_centi;
	uint32_t pin_count, lockout_ms;
	/* door */
	bool open;
	/* keypad */
	uint32_t result, user;
	bool opened;
	/* alarm */
	uint32_t code, arg;
};

/* link_encode writes m as one wire frame (both delimiters) into out.
 * Returns the frame length, or 0 if it does not fit cap or the payload
 * would exceed LINK_MAX_PAYLOAD. */
size_t link_encode(const struct link_msg *m, uint8_t *out, size_t cap);

/* link_decode parses one payload (CRC already checked and removed).
 * Returns false for anything outside the protocol; m is then garbage. */
bool link_decode(const uint8_t *p, size_t n, struct link_msg *m);

/* Frame receiver: feed it bytes; it hands back checked payloads. */
struct link_rx {
	uint8_t buf[LINK_MAX_FRAME];
	size_t n;
	bool overflow;
	uint32_t frames, bad_frames;
};

void link_rx_init(struct link_rx *rx);
/* link_rx_byte returns the payload length when b ended a frame whose COBS
 * and CRC are good (payload at rx->buf), or -1. Oversized frames are
 * dropped whole up to the next delimiter; empty frames are ignored. */
int link_rx_byte(struct link_rx *rx, uint8_t b);

#endif
