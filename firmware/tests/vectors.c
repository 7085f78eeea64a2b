/* The shared link vectors: the messages behind firmware/testdata/
 * link-vectors.txt. internal/nodelink builds the same messages in Go and
 * checks the same file, so both ends agree byte for byte. */
#include "vectors.h"

#include <string.h>

#include "../src/sha256.h"

static void salt(uint8_t *s, uint8_t first)
{
	for (int i = 0; i < PIN_SALT_LEN; i++)
		s[i] = (uint8_t)(first + i);
}

void pin_entry(struct pin_entry *e, uint32_t user, const char *pin, uint8_t salt_first,
	       uint32_t iterations)
{
	e->user = user;
	salt(e->salt, salt_first);
	pbkdf2_sha256((const uint8_t *)pin, strlen(pin), e->salt, PIN_SALT_LEN, iterations, e->hash);
}

/* vector fills m with the named good vector; false when the name is unknown. */
static void base(struct link_msg *m, uint32_t seq, uint32_t ack, uint32_t type)
{
	memset(m, 0, sizeof *m);
	m->seq = seq;
	m->ack = ack;
	m->type = type;
}

static void report(struct link_msg *m, uint32_t seq, uint32_t type, uint32_t no, uint32_t t)
{
	base(m, seq, 0, type);
	m->no = no;
	m->t_ms = t;
}

const char *const good_vectors[] = {
	"hub_hello", "hub_heartbeat", "hub_ack", "lock_unlock", "lock_lock", "relay_on",
	"pins_two", "pins_empty", "state_req", "node_hello", "node_heartbeat", "node_ack",
	"state_lock", "state_boiler", "door", "keypad", "alarm", NULL,
};

bool good_vector(const char *name, struct link_msg *m)
{
	if (!strcmp(name, "hub_hello")) {
		base(m, 0, 0, MSG_HUB_HELLO);
		m->proto = 1;
		strcpy(m->version, "edgeagent 1");
		m->token = 0x01020304;
	} else if (!strcmp(name, "hub_heartbeat")) {
		base(m, 0, 7, MSG_HUB_HEARTBEAT);
		m->uptime_ms = 123456;
	} else if (!strcmp(name, "hub_ack")) {
		base(m, 0, 200, MSG_HUB_ACK);
	} else if (!strcmp(name, "lock_unlock")) {
		base(m, 5, 0, MSG_LOCK);
		m->on = true;
		m->ms = 5000;
	} else if (!strcmp(name, "lock_lock")) {
		base(m, 6, 3, MSG_LOCK);
	} else if (!strcmp(name, "relay_on")) {
		base(m, 255, 255, MSG_RELAY);
		m->on = true;
	} else if (!strcmp(name, "pins_two")) {
		base(m, 9, 0, MSG_PINS);
		m->pins.iterations = 1000;
		m->pins.count = 2;
		pin_entry(&m->pins.e[0], 1, "2468", 0x00, 1000);
		pin_entry(&m->pins.e[1], 70000, "13579", 0x10, 1000);
	} else if (!strcmp(name, "pins_empty")) {
		base(m, 10, 0, MSG_PINS);
		m->pins.iterations = 1;
	} else if (!strcmp(name, "state_req")) {
		base(m, 11, 0, MSG_STATE_REQ);
	} else if (!strcmp(name, "node_hello")) {
		base(m, 0, 0, MSG_NODE_HELLO);
		m->proto = 1;
		m->kind = KIND_LOCK;
		strcpy(m->version, "0.1.0");
		m->reset_cause = 1;
		m->token = 0x01020304;
	} else if (!strcmp(name, "node_heartbeat")) {
		base(m, 0, 5, MSG_NODE_HEARTBEAT);
		m->uptime_ms = 4294967295u;
	} else if (!strcmp(name, "node_ack")) {
		base(m, 0, 5, MSG_NODE_ACK);
		m->status = ACK_REFUSED;
	} else if (!strcmp(name, "state_lock")) {
		report(m, 1, MSG_STATE, 1, 100);
		m->mode = MODE_LOCAL;
		m->output = true;
		m->door = DOOR_CLOSED;
		m->pin_count = 2;
		m->lockout_ms = 30000;
	} else if (!strcmp(name, "state_boiler")) {
		report(m, 2, MSG_STATE, 2, 65536);
		m->door = DOOR_NONE;
		m->temp_valid = true;
		m->temp_centi = -1250;
	} else if (!strcmp(name, "door")) {
		report(m, 3, MSG_DOOR, 3, 200);
		m->open = true;
	} else if (!strcmp(name, "keypad")) {
		report(m, 4, MSG_KEYPAD, 4, 300);
		m->result = KEYPAD_GRANTED;
		m->user = 1;
		m->opened = true;
	} else if (!strcmp(name, "alarm")) {
		report(m, 5, MSG_ALARM, 5, 400);
		m->code = ALARM_HUB_LOST;
	} else {
		return false;
	}
	return true;
}

/* Bad payloads (CRC and COBS added correctly): every decoder refuses them. */
const struct bad_vector bad_vectors[] = {
	{"non_minimal_uint", {0x84, 0x18, 0x05, 0x00, 0x02, 0x81, 0x00}, 7},
	{"uint64_head", {0x84, 0x1b, 0, 0, 0, 0, 0, 0, 0, 1, 0x00, 0x02, 0x81, 0x00}, 14},
	{"trailing_byte", {0x84, 0x00, 0x00, 0x02, 0x81, 0x00, 0x00}, 7},
	{"indefinite_array", {0x9f, 0x00, 0x00, 0x02, 0x81, 0x00, 0xff}, 7},
	{"map_not_array", {0xa2, 0x00, 0x00, 0x02, 0x81}, 5},
	{"seq_256", {0x84, 0x19, 0x01, 0x00, 0x00, 0x02, 0x81, 0x00}, 8},
	{"unknown_type", {0x84, 0x00, 0x00, 0x18, 0x63, 0x80}, 6},
	{"wrong_arity", {0x84, 0x00, 0x00, 0x02, 0x82, 0x00, 0x00}, 7},
	{"short_salt", {0x84, 0x01, 0x00, 0x0c, 0x82, 0x01, 0x81, 0x83, 0x01, 0x41, 0x00, 0x58, 0x20,
			   0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
			   0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
			   0,    0,    0,    0,    0,    0},
	 45},
	{"float_uptime", {0x84, 0x00, 0x00, 0x02, 0x81, 0xf9, 0x3c, 0x00}, 8},
	{"text_control_char", {0x84, 0x00, 0x00, 0x01, 0x85, 0x01, 0x00, 0x61, 0x0a, 0x00, 0x00}, 11},
	{NULL, {0}, 0},
};
