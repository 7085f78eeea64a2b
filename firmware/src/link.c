#include "link.h"

#include "cbor.h"
#include "crc16.h"

static void put_report_head(struct cbor_w *w, const struct link_msg *m, uint32_t n)
{
	cbor_put_array(w, n);
	cbor_put_uint(w, m->no);
	cbor_put_uint(w, m->t_ms);
}

static bool put_body(struct cbor_w *w, const struct link_msg *m)
{
	switch (m->type) {
	case MSG_HUB_HELLO:
	case MSG_NODE_HELLO:
		cbor_put_array(w, 5);
		cbor_put_uint(w, m->proto);
		cbor_put_uint(w, m->kind);
		cbor_put_text(w, m->version);
		cbor_put_uint(w, m->reset_cause);
		cbor_put_uint(w, m->token);
		return true;
	case MSG_HUB_HEARTBEAT:
	case MSG_NODE_HEARTBEAT:
		cbor_put_array(w, 1);
		cbor_put_uint(w, m->uptime_ms);
		return true;
	case MSG_HUB_ACK:
	case MSG_NODE_ACK:
		cbor_put_array(w, 1);
		cbor_put_uint(w, m->status);
		return true;
	case MSG_LOCK:
		cbor_put_array(w, 2);
		cbor_put_bool(w, m->on);
		cbor_put_uint(w, m->ms);
		return true;
	case MSG_RELAY:
		cbor_put_array(w, 1);
		cbor_put_bool(w, m->on);
		return true;
	case MSG_PINS:
		if (m->pins.count > PIN_MAX_ENTRIES)
			return false;
		cbor_put_array(w, 2);
		cbor_put_uint(w, m->pins.iterations);
		cbor_put_array(w, m->pins.count);
		for (uint32_t i = 0; i < m->pins.count; i++) {
			cbor_put_array(w, 3);
			cbor_put_uint(w, m->pins.e[i].user);
			cbor_put_bytes(w, m->pins.e[i].salt, PIN_SALT_LEN);
			cbor_put_bytes(w, m->pins.e[i].hash, PIN_HASH_LEN);
		}
		return true;
	case MSG_STATE_REQ:
		cbor_put_array(w, 0);
		return true;
	case MSG_STATE:
		put_report_head(w, m, 8);
		cbor_put_uint(w, m->mode);
		cbor_put_bool(w, m->output);
		cbor_put_uint(w, m->door);
		if (m->temp_valid)
			cbor_put_int(w, m->temp_centi);
		else
			cbor_put_null(w);
		cbor_put_uint(w, m->pin_count);
		cbor_put_uint(w, m->lockout_ms);
		return true;
	case MSG_DOOR:
		put_report_head(w, m, 3);
		cbor_put_bool(w, m->open);
		return true;
	case MSG_KEYPAD:
		put_report_head(w, m, 5);
		cbor_put_uint(w, m->result);
		cbor_put_uint(w, m->user);
		cbor_put_bool(w, m->opened);
		return true;
	case MSG_ALARM:
		put_report_head(w, m, 4);
		cbor_put_uint(w, m->code);
		cbor_put_uint(w, m->arg);
		return true;
	}
	return false;
}

size_t link_encode(const struct link_msg *m, uint8_t *out, size_t cap)
{
	uint8_t payload[LINK_MAX_PAYLOAD + 2];
	struct cbor_w w;
	cbor_w_init(&w, payload, LINK_MAX_PAYLOAD);
	cbor_put_array(&w, 4);
	cbor_put_uint(&w, m->seq);
	cbor_put_uint(&w, m->ack);
	cbor_put_uint(&w, m->type);
	if (!put_body(&w, m) || w.overflow)
		return 0;
	uint16_t crc = crc16(payload, w.len);
	payload[w.len] = (uint8_t)(crc >> 8);
	payload[w.len + 1] = (uint8_t)crc;
	size_t n = w.len + 2;
	if (cap < COBS_MAX(n) + 2)
		return 0;
	/* A leading delimiter too: whatever line noise came before ends there
	 * instead of spoiling this frame. */
	out[0] = 0;
	size_t k = cobs_encode(payload, n, out + 1);
	out[k + 1] = 0;
	return k + 2;
}

static bool get_report_head(struct cbor_r *r, struct link_msg *m, uint32_t want)
{
	uint32_t n;
	return cbor_get_array(r, &n) && n == want && cbor_get_uint(r, &m->no) &&
	       cbor_get_uint(r, &m->t_ms);
}

static bool get_pins(struct cbor_r *r, struct pin_table *t)
{
	uint32_t n;
	if (!cbor_get_array(r, &n) || n != 2 || !cbor_get_uint(r, &t->iterations) ||
	    !cbor_get_array(r, &t->count) || t->count > PIN_MAX_ENTRIES)
		return false;
	for (uint32_t i = 0; i < t->count; i++) {
		const uint8_t *salt, *hash;
		size_t sn, hn;
		if (!cbor_get_array(r, &n) || n != 3 || !cbor_get_uint(r, &t->e[i].user) ||
		    !cbor_get_bytes(r, &salt, &sn) || sn != PIN_SALT_LEN ||
		    !cbor_get_bytes(r, &hash, &hn) || hn != PIN_HASH_LEN)
			return false;
		for (size_t k = 0; k < PIN_SALT_LEN; k++)
			t->e[i].salt[k] = salt[k];
		for (size_t k = 0; k < PIN_HASH_LEN; k++)
			t->e[i].hash[k] = hash[k];
	}
	return true;
}

static bool get_body(struct cbor_r *r, struct link_msg *m)
{
	uint32_t n;
	const char *s;
	size_t sn;
	switch (m->type) {
	case MSG_HUB_HELLO:
	case MSG_NODE_HELLO:
		if (!cbor_get_array(r, &n) || n != 5 || !cbor_get_uint(r, &m->proto) ||
		    !cbor_get_uint(r, &m->kind) || !cbor_get_text(r, &s, &sn) || sn > VERSION_MAX ||
		    !cbor_get_uint(r, &m->reset_cause) || !cbor_get_uint(r, &m->token))
			return false;
		for (size_t i = 0; i < sn; i++)
			m->version[i] = s[i];
		m->version[sn] = 0;
		return true;
	case MSG_HUB_HEARTBEAT:
	case MSG_NODE_HEARTBEAT:
		return cbor_get_array(r, &n) && n == 1 && cbor_get_uint(r, &m->uptime_ms);
	case MSG_HUB_ACK:
	case MSG_NODE_ACK:
		return cbor_get_array(r, &n) && n == 1 && cbor_get_uint(r, &m->status);
	case MSG_LOCK:
		return cbor_get_array(r, &n) && n == 2 && cbor_get_bool(r, &m->on) &&
		       cbor_get_uint(r, &m->ms);
	case MSG_RELAY:
		return cbor_get_array(r, &n) && n == 1 && cbor_get_bool(r, &m->on);
	case MSG_PINS:
		return get_pins(r, &m->pins);
	case MSG_STATE_REQ:
		return cbor_get_array(r, &n) && n == 0;
	case MSG_STATE:
		if (!get_report_head(r, m, 8) || !cbor_get_uint(r, &m->mode) ||
		    !cbor_get_bool(r, &m->output) || !cbor_get_uint(r, &m->door))
			return false;
		m->temp_valid = !cbor_peek_null(r);
		if (m->temp_valid && !cbor_get_int(r, &m->temp_centi))
			return false;
		return cbor_get_uint(r, &m->pin_count) && cbor_get_uint(r, &m->lockout_ms);
	case MSG_DOOR:
		return get_report_head(r, m, 3) && cbor_get_bool(r, &m->open);
	case MSG_KEYPAD:
		return get_report_head(r, m, 5) && cbor_get_uint(r, &m->result) &&
		       cbor_get_uint(r, &m->user) && cbor_get_bool(r, &m->opened);
	case MSG_ALARM:
		return get_report_head(r, m, 4) && cbor_get_uint(r, &m->code) &&
		       cbor_get_uint(r, &m->arg);
	}
	return false;
}

bool link_decode(const uint8_t *p, size_t len, struct link_msg *m)
{
	struct cbor_r r;
	uint32_t n;
	if (len > LINK_MAX_PAYLOAD)
		return false;
	cbor_r_init(&r, p, len);
	if (!cbor_get_array(&r, &n) || n != 4 || !cbor_get_uint(&r, &m->seq) || m->seq > 255 ||
	    !cbor_get_uint(&r, &m->ack) || m->ack > 255 || !cbor_get_uint(&r, &m->type))
		return false;
	return get_body(&r, m) && cbor_end(&r);
}

void link_rx_init(struct link_rx *rx)
{
	rx->n = 0;
	rx->overflow = false;
	rx->frames = 0;
	rx->bad_frames = 0;
}

int link_rx_byte(struct link_rx *rx, uint8_t b)
{
	if (b != 0) {
		if (rx->n < sizeof rx->buf)
			rx->buf[rx->n++] = b;
		else
			rx->overflow = true;
		return -1;
	}
	size_t n = rx->n;
	bool overflow = rx->overflow;
	rx->n = 0;
	rx->overflow = false;
	if (n == 0)
		return -1;
	long k = overflow ? -1 : cobs_decode(rx->buf, n, rx->buf);
	if (k < 3 || crc16(rx->buf, (size_t)k - 2) !=
			     (uint16_t)(rx->buf[k - 2] << 8 | rx->buf[k - 1])) {
		rx->bad_frames++;
		return -1;
	}
	rx->frames++;
	return (int)(k - 2);
}
