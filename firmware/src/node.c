#include "node.h"

#include <string.h>

#include "board.h"
#include "sha256.h"

/* passed is true once now has reached t, across the 32-bit wrap (49 days). */
static bool passed(uint32_t now, uint32_t t) { return (int32_t)(now - t) >= 0; }

static void send(const struct link_msg *m)
{
	uint8_t frame[64];
	size_t k = link_encode(m, frame, sizeof frame);
	if (k > 0)
		board_link_write(frame, k);
}

static void clear_msg(struct link_msg *m) { memset(m, 0, sizeof *m); }

static void send_hello(struct node *n)
{
	struct link_msg *m = &n->msg;
	clear_msg(m);
	m->type = MSG_NODE_HELLO;
	m->proto = LINK_PROTO;
	m->kind = n->kind;
	strncpy(m->version, n->version, VERSION_MAX);
	m->reset_cause = n->reset_cause;
	m->token = n->hub_token;
	send(m);
}

static void send_ack(struct node *n, uint8_t seq, uint8_t status)
{
	struct link_msg *m = &n->msg;
	clear_msg(m);
	m->type = MSG_NODE_ACK;
	m->ack = seq;
	m->status = status;
	send(m);
}

static uint32_t lockout_left(const struct node *n)
{
	return passed(n->now, n->lockout_until) ? 0 : n->lockout_until - n->now;
}

static void snapshot(const struct node *n, struct node_report *r)
{
	r->mode = n->mode;
	r->output = n->kind == KIND_LOCK ? n->unlocked : n->relay;
	r->door = n->door;
	r->temp_valid = n->temp_valid;
	r->temp_centi = n->temp_centi;
	r->pin_count = n->pins.count;
	r->lockout_ms = lockout_left(n);
}

/* queue records a report for the hub. While the hub is away the ring fills
 * with local decisions; when it is full the oldest not in flight goes, and
 * an ALARM_DROPPED with the count follows once there is room again. */
static void queue(struct node *n, uint8_t type, uint8_t a, bool opened, uint32_t arg)
{
	if (type == MSG_STATE && n->count > (n->inflight ? 1 : 0)) {
		/* A state right after a state replaces it: nothing happened
		 * between the two that the first one would explain. */
		struct node_report *last = &n->ring[(n->head + n->count - 1) % NODE_RING];
		if (last->type == MSG_STATE) {
			last->t_ms = n->now;
			snapshot(n, last);
			return;
		}
	}
	if (n->count == NODE_RING) {
		uint8_t victim = n->inflight ? 1 : 0;
		for (uint8_t i = victim; i + 1 < n->count; i++)
			n->ring[(n->head + i) % NODE_RING] = n->ring[(n->head + i + 1) % NODE_RING];
		n->count--;
		n->dropped++;
	}
	struct node_report *r = &n->ring[(n->head + n->count) % NODE_RING];
	r->type = type;
	r->a = a;
	r->opened = opened;
	r->arg = arg;
	r->no = n->next_no++;
	r->t_ms = n->now;
	if (type == MSG_STATE)
		snapshot(n, r);
	n->count++;
}

static void alarm(struct node *n, uint8_t code, uint32_t arg) { queue(n, MSG_ALARM, code, false, arg); }
static void state_changed(struct node *n) { queue(n, MSG_STATE, 0, false, 0); }

static void fill_report(const struct node_report *r, struct link_msg *m)
{
	clear_msg(m);
	m->type = r->type;
	m->no = r->no;
	m->t_ms = r->t_ms;
	switch (r->type) {
	case MSG_STATE:
		m->mode = r->mode;
		m->output = r->output;
		m->door = r->door;
		m->temp_valid = r->temp_valid;
		m->temp_centi = r->temp_centi;
		m->pin_count = r->pin_count;
		m->lockout_ms = r->lockout_ms;
		break;
	case MSG_DOOR:
		m->open = r->a;
		break;
	case MSG_KEYPAD:
		m->result = r->a;
		m->user = r->arg;
		m->opened = r->opened;
		break;
	case MSG_ALARM:
		m->code = r->a;
		m->arg = r->arg;
		break;
	}
}

static void set_lock(struct node *n, bool unlocked)
{
	if (n->unlocked == unlocked)
		return;
	n->unlocked = unlocked;
	n->door_opened_while_unlocked = false;
	board_set_lock(unlocked);
	state_changed(n);
}

static void set_relay(struct node *n, bool on)
{
	if (n->relay == on)
		return;
	n->relay = on;
	if (on)
		n->relay_since = n->now;
	else
		n->frost = false;
	board_set_relay(on);
	state_changed(n);
}

void node_init(struct node *n, uint8_t kind, const char *version, uint32_t reset_cause,
	       const struct pin_table *pins, uint32_t now)
{
	memset(n, 0, sizeof *n);
	n->kind = kind;
	n->version = version;
	n->reset_cause = reset_cause;
	n->now = now;
	/* Until the hub speaks the node is on its own. */
	n->mode = MODE_LOCAL;
	n->last_hb_tx = now - NODE_HEARTBEAT_MS;
	n->door = DOOR_NONE;
	n->next_no = 1;
	/* A power cycle must not buy a keypad guesser a fresh set of tries. */
	n->lockout_until = now + NODE_BOOT_HOLD_MS;
	if (pins && pins->count <= PIN_MAX_ENTRIES && pins->iterations >= 1 &&
	    pins->iterations <= PIN_MAX_ITERATIONS)
		n->pins = *pins;
	link_rx_init(&n->rx);
	send_hello(n);
	state_changed(n);
	if (reset_cause == 1)
		alarm(n, ALARM_WATCHDOG, 0);
}

static uint8_t do_lock(struct node *n, const struct link_msg *m)
{
	if (n->kind != KIND_LOCK)
		return ACK_UNSUPPORTED;
	if (!m->on) {
		set_lock(n, false);
		return ACK_OK;
	}
	uint32_t ms = m->ms ? m->ms : NODE_UNLOCK_DEFAULT_MS;
	if (ms > NODE_UNLOCK_MAX_MS)
		return ACK_BAD;
	set_lock(n, true);
	n->unlock_until = n->now + ms;
	return ACK_OK;
}

static uint8_t do_relay(struct node *n, const struct link_msg *m)
{
	if (n->kind != KIND_BOILER)
		return ACK_UNSUPPORTED;
	if (!m->on) {
		set_relay(n, false);
		return ACK_OK;
	}
	if (!passed(n->now, n->rest_until) || !n->temp_valid)
		return ACK_REFUSED;
	set_relay(n, true);
	n->frost = false;
	return ACK_OK;
}

static uint8_t do_pins(struct node *n, const struct link_msg *m)
{
	if (n->kind != KIND_LOCK)
		return ACK_UNSUPPORTED;
	if (m->pins.iterations < 1 || m->pins.iterations > PIN_MAX_ITERATIONS)
		return ACK_BAD;
	n->pins = m->pins;
	board_store_pins(&n->pins);
	state_changed(n);
	return ACK_OK;
}

static uint8_t execute(struct node *n, const struct link_msg *m)
{
	switch (m->type) {
	case MSG_LOCK: return do_lock(n, m);
	case MSG_RELAY: return do_relay(n, m);
	case MSG_PINS: return do_pins(n, m);
	case MSG_STATE_REQ: state_changed(n); return ACK_OK;
	}
	return ACK_UNSUPPORTED;
}

void node_rx(struct node *n, uint8_t b)
{
	int k = link_rx_byte(&n->rx, b);
	if (k < 0)
		return;
	struct link_msg *m = &n->msg;
	if (!link_decode(n->rx.buf, (size_t)k, m) || m->type >= MSG_FROM_NODE) {
		n->rx.bad_frames++;
		return;
	}
	n->last_hub_rx = n->now;
	if (n->mode == MODE_LOCAL) {
		n->mode = MODE_HUB;
		state_changed(n);
	}
	switch (m->type) {
	case MSG_HUB_HELLO:
		/* A new hub session numbers its messages afresh. */
		n->rx_any = false;
		n->hub_token = m->token;
		if (n->inflight)
			n->tx_at = n->now - NODE_RETRANSMIT_MS;
		send_hello(n);
		state_changed(n);
		return;
	case MSG_HUB_HEARTBEAT:
		return;
	case MSG_HUB_ACK:
		if (n->inflight && m->ack == n->tx_seq) {
			n->inflight = false;
			n->head = (uint8_t)((n->head + 1) % NODE_RING);
			n->count--;
			if (n->dropped && n->count < NODE_RING) {
				alarm(n, ALARM_DROPPED, n->dropped);
				n->dropped = 0;
			}
		}
		return;
	}
	if (m->seq == 0)
		return; /* commands are reliable or nothing */
	uint8_t seq = (uint8_t)m->seq;
	if (!(n->rx_any && seq == n->rx_seq)) {
		n->rx_status = execute(n, m);
		n->rx_seq = seq;
		n->rx_any = true;
	}
	/* A duplicate is the hub missing our ack: answer again, do nothing. */
	send_ack(n, seq, n->rx_status);
}

static void go_local(struct node *n)
{
	n->mode = MODE_LOCAL;
	set_lock(n, false);
	set_relay(n, false);
	alarm(n, ALARM_HUB_LOST, 0);
	state_changed(n);
}

static void boiler_tick(struct node *n)
{
	if (n->temp_valid && passed(n->now, n->temp_at + NODE_TEMP_STALE_MS)) {
		n->temp_valid = false;
		state_changed(n);
	}
	if (n->relay && !n->temp_valid) {
		set_relay(n, false);
		alarm(n, ALARM_SENSOR, 0);
	}
	if (n->relay && passed(n->now, n->relay_since + NODE_MAX_RUN_MS)) {
		set_relay(n, false);
		n->rest_until = n->now + NODE_REST_MS;
		alarm(n, ALARM_MAX_RUN, NODE_MAX_RUN_MS / 1000);
	}
	if (n->mode != MODE_LOCAL || !n->temp_valid)
		return;
	if (!n->relay && n->temp_centi < NODE_FROST_ON_CENTI && passed(n->now, n->rest_until)) {
		set_relay(n, true);
		n->frost = true;
		alarm(n, ALARM_FROST_ON, (uint32_t)n->temp_centi);
	} else if (n->relay && n->frost && n->temp_centi >= NODE_FROST_OFF_CENTI) {
		set_relay(n, false);
	}
}

static void send_reports(struct node *n)
{
	if (n->mode != MODE_HUB)
		return;
	if (n->inflight) {
		if (passed(n->now, n->tx_at + NODE_RETRANSMIT_MS)) {
			board_link_write(n->tx_frame, n->tx_len);
			n->tx_at = n->now;
		}
		return;
	}
	if (n->count == 0)
		return;
	struct link_msg *m = &n->msg;
	fill_report(&n->ring[n->head], m);
	n->tx_seq = (uint8_t)(n->tx_seq % 255 + 1);
	m->seq = n->tx_seq;
	m->ack = n->rx_any ? n->rx_seq : 0;
	n->tx_len = link_encode(m, n->tx_frame, sizeof n->tx_frame);
	n->inflight = true;
	n->tx_at = n->now;
	board_link_write(n->tx_frame, n->tx_len);
}

void node_tick(struct node *n, uint32_t now)
{
	n->now = now;
	if (n->mode == MODE_HUB && passed(now, n->last_hub_rx + NODE_HUB_TIMEOUT_MS))
		go_local(n);
	if (n->kind == KIND_LOCK && n->unlocked && passed(now, n->unlock_until))
		set_lock(n, false);
	if (n->kind == KIND_BOILER)
		boiler_tick(n);
	if (passed(now, n->last_hb_tx + NODE_HEARTBEAT_MS)) {
		struct link_msg *m = &n->msg;
		clear_msg(m);
		m->type = MSG_NODE_HEARTBEAT;
		m->ack = n->rx_any ? n->rx_seq : 0;
		m->uptime_ms = now;
		send(m);
		n->last_hb_tx = now;
	}
	send_reports(n);
}

/* check_pin compares against every entry whatever matched, so the time
 * taken tells nothing about which user or how many entries matched. */
static uint32_t check_pin(const struct node *n, const char *pin, size_t len)
{
	uint32_t user = 0;
	uint8_t dk[32];
	for (uint32_t i = 0; i < n->pins.count; i++) {
		const struct pin_entry *e = &n->pins.e[i];
		pbkdf2_sha256((const uint8_t *)pin, len, e->salt, PIN_SALT_LEN, n->pins.iterations, dk);
		uint8_t diff = 0;
		for (int k = 0; k < PIN_HASH_LEN; k++)
			diff |= dk[k] ^ e->hash[k];
		if (diff == 0 && user == 0)
			user = e->user ? e->user : 0xFFFFFFFF;
	}
	memset(dk, 0, sizeof dk);
	return user;
}

static void enter_pin(struct node *n)
{
	char pin[NODE_PIN_MAX_DIGITS];
	size_t len = n->nkeys;
	memcpy(pin, n->keys, len);
	memset(n->keys, 0, sizeof n->keys);
	n->nkeys = 0;
	if (lockout_left(n) > 0) {
		queue(n, MSG_KEYPAD, KEYPAD_LOCKED_OUT, false, 0);
		memset(pin, 0, sizeof pin);
		return;
	}
	uint32_t user = len >= 4 ? check_pin(n, pin, len) : 0;
	memset(pin, 0, sizeof pin);
	if (user != 0) {
		n->fails = 0;
		n->lockouts = 0;
		/* With the hub present the hub decides (schedules, revocations
		 * since the table was pushed); alone, the node opens. */
		bool open = n->mode == MODE_LOCAL;
		/* The entry first, then the state it caused: the hub then knows
		 * why the lock opened. */
		queue(n, MSG_KEYPAD, KEYPAD_GRANTED, open, user == 0xFFFFFFFF ? 0 : user);
		if (open) {
			set_lock(n, true);
			n->unlock_until = n->now + NODE_UNLOCK_DEFAULT_MS;
		}
		return;
	}
	queue(n, MSG_KEYPAD, KEYPAD_DENIED, false, 0);
	if (++n->fails < NODE_PIN_FAILS)
		return;
	uint32_t ms = NODE_LOCKOUT_MS;
	for (uint8_t i = 0; i < n->lockouts && ms < NODE_LOCKOUT_MAX_MS; i++)
		ms *= 2;
	if (ms > NODE_LOCKOUT_MAX_MS)
		ms = NODE_LOCKOUT_MAX_MS;
	n->fails = 0;
	if (n->lockouts < 31)
		n->lockouts++;
	n->lockout_until = n->now + ms;
	alarm(n, ALARM_LOCKOUT, ms / 1000);
}

void node_key(struct node *n, char key)
{
	if (n->kind != KIND_LOCK)
		return;
	if (key >= '0' && key <= '9') {
		/* Digits past the maximum are dropped: the PIN then cannot match. */
		if (n->nkeys < NODE_PIN_MAX_DIGITS)
			n->keys[n->nkeys++] = key;
	} else if (key == '*') {
		memset(n->keys, 0, sizeof n->keys);
		n->nkeys = 0;
	} else if (key == '#') {
		enter_pin(n);
	}
}

void node_door(struct node *n, bool open)
{
	if (n->kind != KIND_LOCK)
		return;
	uint8_t d = open ? DOOR_OPEN : DOOR_CLOSED;
	if (n->door == d)
		return;
	bool first = n->door == DOOR_NONE;
	n->door = d;
	queue(n, MSG_DOOR, open, false, 0);
	if (open && !n->unlocked && !first)
		alarm(n, ALARM_DOOR_FORCED, 0);
	if (open && n->unlocked)
		n->door_opened_while_unlocked = true;
	/* Relock as soon as the door that was opened is shut again. */
	if (!open && n->unlocked && n->door_opened_while_unlocked)
		set_lock(n, false);
}

void node_temp(struct node *n, bool valid, int32_t centi)
{
	if (n->kind != KIND_BOILER)
		return;
	bool was = n->temp_valid;
	int32_t d = centi - n->temp_reported;
	n->temp_valid = valid;
	if (!valid) {
		if (was)
			state_changed(n);
		return;
	}
	n->temp_centi = centi;
	n->temp_at = n->now;
	/* Half a degree of change is news; every reading would flood the ring. */
	if (!was || d >= 50 || d <= -50) {
		n->temp_reported = centi;
		state_changed(n);
	}
}
