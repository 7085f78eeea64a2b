/* Host tests of the node logic: node_test <path to link-vectors.txt>.
 * node_test --write-vectors prints the vector file from vectors.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/cbor.h"
#include "../src/cobs.h"
#include "../src/crc16.h"
#include "../src/node.h"
#include "../src/sha256.h"
#include "fake_board.h"
#include "test.h"
#include "vectors.h"

int test_failures;

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = 0;
}

/* frame_raw wraps any payload as a wire frame, so bad payloads can be sent. */
static size_t frame_raw(const uint8_t *payload, size_t n, uint8_t *out)
{
	uint8_t buf[LINK_MAX_PAYLOAD + 64];
	memcpy(buf, payload, n);
	uint16_t c = crc16(payload, n);
	buf[n] = (uint8_t)(c >> 8);
	buf[n + 1] = (uint8_t)c;
	out[0] = 0;
	size_t k = cobs_encode(buf, n + 2, out + 1);
	out[k + 1] = 0;
	return k + 2;
}

/* ---- the hub side of a test: what the node wrote, decoded ---- */

static struct link_rx hub_rx;
static size_t hub_read;

static void hub_reset(void)
{
	link_rx_init(&hub_rx);
	hub_read = 0;
}

/* hub_next decodes the next message the node wrote; false when none. */
static bool hub_next(struct link_msg *m)
{
	if (hub_read == fb.out_len)
		hub_read = fb.out_len = 0; /* all read: room for hours of heartbeats */
	while (hub_read < fb.out_len) {
		int k = link_rx_byte(&hub_rx, fb.out[hub_read++]);
		if (k >= 0) {
			if (!link_decode(hub_rx.buf, (size_t)k, m)) {
				test_failures++;
				fprintf(stderr, "node wrote an undecodable frame\n");
				continue;
			}
			return true;
		}
	}
	return false;
}

/* hub_find skips to the next message of the given type. */
static bool hub_find(uint32_t type, struct link_msg *m)
{
	while (hub_next(m))
		if (m->type == type)
			return true;
	return false;
}

static void feed(struct node *n, const uint8_t *p, size_t k)
{
	for (size_t i = 0; i < k; i++)
		node_rx(n, p[i]);
}

static void hub_send(struct node *n, const struct link_msg *m)
{
	static uint8_t frame[LINK_MAX_WIRE];
	size_t k = link_encode(m, frame, sizeof frame);
	CHECK(k > 0);
	feed(n, frame, k);
}

static void hub_beat(struct node *n)
{
	struct link_msg m = {0};
	m.type = MSG_HUB_HEARTBEAT;
	hub_send(n, &m);
}

static uint8_t hub_seq;

/* hub_cmd sends a reliable command and returns the node's ack status. */
static int hub_cmd(struct node *n, struct link_msg *m)
{
	hub_seq = (uint8_t)(hub_seq % 255 + 1);
	m->seq = hub_seq;
	hub_send(n, m);
	struct link_msg a;
	while (hub_next(&a))
		if (a.type == MSG_NODE_ACK && a.ack == hub_seq)
			return (int)a.status;
	return -1;
}

static void hub_ack(struct node *n, uint32_t seq)
{
	struct link_msg m = {0};
	m.type = MSG_HUB_ACK;
	m.ack = seq;
	hub_send(n, &m);
}

/* run advances time in 10 ms ticks; with_hub sends a heartbeat every second
 * and acknowledges every report, as a live hub does. */
static uint32_t now;
static void run(struct node *n, uint32_t ms, bool with_hub)
{
	for (uint32_t t = 0; t < ms; t += 10) {
		now += 10;
		node_tick(n, now);
		if (with_hub && now % 1000 == 0)
			hub_beat(n);
		if (with_hub) {
			struct link_msg m;
			while (hub_next(&m))
				if (m.type >= MSG_STATE)
					hub_ack(n, m.seq);
		}
	}
}

static void start(struct node *n, uint8_t kind, uint32_t t0)
{
	fake_board_reset();
	hub_reset();
	hub_seq = 0;
	now = t0;
	node_init(n, kind, "test", 0, NULL, now);
}

/* connect makes the hub say hello and settles until every report is acked. */
static void connect(struct node *n)
{
	struct link_msg m = {0};
	m.type = MSG_HUB_HELLO;
	m.proto = LINK_PROTO;
	hub_send(n, &m);
	run(n, 1000, true);
	CHECK_EQ(n->mode, MODE_HUB);
	CHECK_EQ(n->count, 0);
}

static struct node N; /* big: kept off the stack */

/* ---- codec ---- */

static void test_crc16(void)
{
	CHECK_EQ(crc16((const uint8_t *)"123456789", 9), 0x29B1);
	CHECK_EQ(crc16(NULL, 0), 0xFFFF);
}

static void cobs_roundtrip(const uint8_t *in, size_t n)
{
	static uint8_t enc[COBS_MAX(2048)], dec[2048];
	size_t k = cobs_encode(in, n, enc);
	CHECK(k <= COBS_MAX(n));
	for (size_t i = 0; i < k; i++)
		if (enc[i] == 0) {
			CHECK(!"zero byte in COBS output");
			break;
		}
	long d = cobs_decode(enc, k, dec);
	CHECK_EQ(d, (long)n);
	CHECK(d == (long)n && memcmp(in, dec, n) == 0);
}

static void test_cobs_edges(void)
{
	static uint8_t buf[2048];
	cobs_roundtrip(buf, 0);
	/* every length around the 254-byte block boundary, with and without zeros */
	for (size_t n = 1; n < 800; n++) {
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)(i % 255 + 1);
		cobs_roundtrip(buf, n);
		memset(buf, 0, n);
		cobs_roundtrip(buf, n);
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)(i % 7 == 3 ? 0 : 0x80 | i);
		cobs_roundtrip(buf, n);
	}
	/* canonical forms: the known encodings */
	uint8_t enc[300];
	uint8_t z[2] = {0, 0};
	CHECK_EQ(cobs_encode(z, 1, enc), 2);
	CHECK(enc[0] == 1 && enc[1] == 1);
	for (int i = 0; i < 254; i++)
		buf[i] = 1;
	CHECK_EQ(cobs_encode(buf, 254, enc), 255); /* no empty block after 254 */
	CHECK_EQ(enc[0], 0xFF);
	CHECK_EQ(cobs_encode(buf, 255, enc), 257);
	/* refused: a zero inside, a block past the end, a zero code */
	uint8_t bad1[] = {3, 1, 0};
	uint8_t bad2[] = {5, 1, 2};
	uint8_t bad3[] = {0};
	uint8_t out[8];
	CHECK_EQ(cobs_decode(bad1, 3, out), -1);
	CHECK_EQ(cobs_decode(bad2, 3, out), -1);
	CHECK_EQ(cobs_decode(bad3, 1, out), -1);
}

static void test_cbor_strict(void)
{
	struct cbor_r r;
	uint32_t v;
	int32_t i;
	const uint8_t nonmin[] = {0x18, 0x17};
	cbor_r_init(&r, nonmin, 2);
	CHECK(!cbor_get_uint(&r, &v));
	const uint8_t ok[] = {0x18, 0x18};
	cbor_r_init(&r, ok, 2);
	CHECK(cbor_get_uint(&r, &v) && v == 24 && cbor_end(&r));
	const uint8_t big[] = {0x1a, 0xff, 0xff, 0xff, 0xff};
	cbor_r_init(&r, big, 5);
	CHECK(cbor_get_uint(&r, &v) && v == 0xFFFFFFFF);
	cbor_r_init(&r, big, 5);
	CHECK(!cbor_get_int(&r, &i)); /* does not fit int32 */
	const uint8_t neg[] = {0x3a, 0x7f, 0xff, 0xff, 0xff};
	cbor_r_init(&r, neg, 5);
	CHECK(cbor_get_int(&r, &i) && i == INT32_MIN);
	const uint8_t shortstr[] = {0x45, 1, 2};
	const uint8_t *p;
	size_t n;
	cbor_r_init(&r, shortstr, 3);
	CHECK(!cbor_get_bytes(&r, &p, &n));
	/* writer: shortest forms */
	uint8_t out[8];
	struct cbor_w w;
	cbor_w_init(&w, out, sizeof out);
	cbor_put_int(&w, -1250);
	CHECK(w.len == 3 && out[0] == 0x39 && out[1] == 0x04 && out[2] == 0xe1);
	cbor_w_init(&w, out, 2);
	cbor_put_uint(&w, 70000);
	CHECK(w.overflow);
}

/* ---- the frame receiver ---- */

static int count_frames(struct link_rx *rx, const uint8_t *p, size_t n)
{
	int good = 0;
	for (size_t i = 0; i < n; i++)
		if (link_rx_byte(rx, p[i]) >= 0)
			good++;
	return good;
}

static void test_framing(void)
{
	/* the largest message: a full PIN table */
	struct link_msg m;
	CHECK(good_vector("pins_two", &m));
	m.pins.count = PIN_MAX_ENTRIES;
	for (int i = 0; i < PIN_MAX_ENTRIES; i++)
		pin_entry(&m.pins.e[i], 0xFFFFFFFFu - (uint32_t)i, "0000", (uint8_t)(16 * i), 1);
	static uint8_t f[LINK_MAX_WIRE], stream[4 * LINK_MAX_WIRE + 64];
	size_t k = link_encode(&m, f, sizeof f);
	CHECK(k > 256); /* long enough to cross a COBS block */
	struct link_rx rx;

	/* every split point: the first part, then the rest, as a UART hands them over */
	for (size_t split = 0; split <= k; split++) {
		link_rx_init(&rx);
		int got = count_frames(&rx, f, split) + count_frames(&rx, f + split, k - split);
		CHECK_EQ(got, 1);
	}
	/* garbage before, two frames back to back, a stray delimiter */
	size_t s = 0;
	const uint8_t junk[] = {0x13, 0x37, 0xff, 0x00, 0x00, 0x42}; /* no delimiter after 0x42 */
	memcpy(stream + s, junk, sizeof junk);
	s += sizeof junk;
	memcpy(stream + s, f, k);
	s += k;
	memcpy(stream + s, f, k);
	s += k;
	link_rx_init(&rx);
	CHECK_EQ(count_frames(&rx, stream, s), 2);
	CHECK_EQ(rx.bad_frames, 2); /* the junk: "13 37 ff" and "42", ended by the leading delimiter */

	/* every single bit flipped: refused (CRC-16 catches all 1-bit errors) */
	for (size_t i = 0; i + 1 < k; i++) {
		for (int b = 0; b < 8; b++) {
			memcpy(stream, f, k);
			stream[i] ^= (uint8_t)(1 << b);
			if (stream[i] == 0)
				continue; /* becomes a delimiter: two short frames, both bad */
			link_rx_init(&rx);
			struct link_msg d;
			int len = -1;
			for (size_t j = 0; j < k; j++) {
				int r = link_rx_byte(&rx, stream[j]);
				if (r >= 0)
					len = r;
			}
			CHECK(len < 0 || !link_decode(rx.buf, (size_t)len, &d));
		}
	}

	/* oversized: dropped whole, and the frame after it is taken */
	link_rx_init(&rx);
	for (size_t i = 0; i < 3 * LINK_MAX_FRAME; i++)
		CHECK_EQ(link_rx_byte(&rx, 0x55), -1);
	CHECK_EQ(link_rx_byte(&rx, 0), -1);
	CHECK_EQ(rx.bad_frames, 1);
	CHECK_EQ(count_frames(&rx, f, k), 1);

	/* the encoder refuses a payload over the maximum rather than cut it */
	struct link_msg big;
	good_vector("node_hello", &big);
	uint8_t small[16];
	CHECK_EQ(link_encode(&big, small, sizeof small), 0);
}

/* ---- the shared vectors ---- */

static void write_vectors(void)
{
	static uint8_t f[LINK_MAX_WIRE];
	static char h[2 * sizeof f + 1];
	printf("# Node link test vectors, checked by firmware/tests (C) and internal/nodelink (Go).\n");
	printf("# Regenerate: firmware/build/host/node_test --write-vectors > firmware/testdata/link-vectors.txt\n");
	printf("# good <name> <frame hex, both delimiters included>: both sides encode the named message to\n");
	printf("#   exactly these bytes and decode them back to it.\n");
	printf("# bad <name> <frame hex, both delimiters>: a well-framed payload (good COBS and CRC) every decoder refuses.\n");
	printf("# pbkdf2 <pin> <salt hex> <iterations> <hash hex>: the keypad PIN verifier.\n");
	for (int i = 0; good_vectors[i]; i++) {
		struct link_msg m;
		good_vector(good_vectors[i], &m);
		size_t k = link_encode(&m, f, sizeof f);
		hex(f, k, h);
		printf("good %s %s\n", good_vectors[i], h);
	}
	for (int i = 0; bad_vectors[i].name; i++) {
		size_t k = frame_raw(bad_vectors[i].payload, bad_vectors[i].len, f);
		hex(f, k, h);
		printf("bad %s %s\n", bad_vectors[i].name, h);
	}
	struct pin_entry e;
	pin_entry(&e, 1, "2468", 0, 1000);
	char sh[33], hh[65];
	hex(e.salt, PIN_SALT_LEN, sh);
	hex(e.hash, PIN_HASH_LEN, hh);
	printf("pbkdf2 2468 %s 1000 %s\n", sh, hh);
}

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	for (; s[0] && s[1] && s[0] != '\n'; s += 2) {
		unsigned v;
		sscanf(s, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void test_vectors(const char *path)
{
	FILE *fp = fopen(path, "r");
	CHECK(fp != NULL);
	if (!fp)
		return;
	static char line[8192];
	static uint8_t want[LINK_MAX_WIRE], got[LINK_MAX_WIRE];
	int goods = 0, bads = 0, pins = 0;
	while (fgets(line, sizeof line, fp)) {
		char kind[16], name[64], h[4096];
		if (line[0] == '#' || sscanf(line, "%15s %63s %4095s", kind, name, h) != 3)
			continue;
		if (!strcmp(kind, "pbkdf2")) {
			unsigned iter;
			char salt[64], hash[128];
			sscanf(line, "%*s %*s %63s %u %127s", salt, &iter, hash);
			uint8_t s[32], hw[32], dk[32];
			size_t sn = unhex(salt, s);
			unhex(hash, hw);
			pbkdf2_sha256((const uint8_t *)name, strlen(name), s, sn, iter, dk);
			CHECK(memcmp(dk, hw, 32) == 0);
			pins++;
			continue;
		}
		size_t k = unhex(h, want);
		struct link_rx rx;
		link_rx_init(&rx);
		int len = -1;
		for (size_t i = 0; i < k; i++) {
			int r = link_rx_byte(&rx, want[i]);
			if (r >= 0)
				len = r;
		}
		CHECK(len >= 0);
		struct link_msg d, m;
		bool ok = len >= 0 && link_decode(rx.buf, (size_t)len, &d);
		if (!strcmp(kind, "bad")) {
			if (ok)
				fprintf(stderr, "bad vector %s was accepted\n", name);
			CHECK(!ok);
			bads++;
			continue;
		}
		goods++;
		CHECK(good_vector(name, &m));
		size_t gk = link_encode(&m, got, sizeof got);
		if (gk != k || memcmp(got, want, k) != 0)
			fprintf(stderr, "vector %s: encoding differs\n", name);
		CHECK(gk == k && memcmp(got, want, k) == 0);
		if (!ok)
			fprintf(stderr, "vector %s: not decoded\n", name);
		CHECK(ok);
		/* decoded back to the same message: re-encoding gives the same bytes */
		gk = link_encode(&d, got, sizeof got);
		CHECK(gk == k && memcmp(got, want, k) == 0);
	}
	fclose(fp);
	CHECK_EQ(goods, 17);
	CHECK(bads >= 11);
	CHECK_EQ(pins, 1);
}

static void test_sha256_pbkdf2(void)
{
	struct sha256 s;
	uint8_t out[32];
	char h[65];
	sha256_init(&s);
	sha256_update(&s, (const uint8_t *)"abc", 3);
	sha256_final(&s, out);
	hex(out, 32, h);
	CHECK(!strcmp(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	/* RFC 7914 §11 / common PBKDF2-HMAC-SHA256 vectors */
	pbkdf2_sha256((const uint8_t *)"password", 8, (const uint8_t *)"salt", 4, 1, out);
	hex(out, 32, h);
	CHECK(!strcmp(h, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"));
	pbkdf2_sha256((const uint8_t *)"password", 8, (const uint8_t *)"salt", 4, 4096, out);
	hex(out, 32, h);
	CHECK(!strcmp(h, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"));
}

/* ---- node behaviour ---- */

static void test_reset_is_safe(void)
{
	start(&N, KIND_LOCK, 0);
	CHECK(!fb.unlocked);
	CHECK_EQ(N.mode, MODE_LOCAL); /* nobody has spoken yet */
	struct link_msg m;
	CHECK(hub_find(MSG_NODE_HELLO, &m));
	CHECK_EQ(m.kind, KIND_LOCK);
	CHECK_EQ(m.proto, LINK_PROTO);
	CHECK_EQ(m.token, 0); /* after a reset: no hub's token to echo */
	/* the answer to a hub's hello echoes its token */
	struct link_msg h = {0};
	h.type = MSG_HUB_HELLO;
	h.token = 0xC0FFEE;
	hub_send(&N, &h);
	CHECK(hub_find(MSG_NODE_HELLO, &m));
	CHECK_EQ(m.token, 0xC0FFEE);
}

static void test_heartbeat_loss_lock(void)
{
	/* a start near the 32-bit wrap: the timers must not care */
	start(&N, KIND_LOCK, 0xFFFFF000u);
	connect(&N);
	struct link_msg c = {0};
	c.type = MSG_LOCK;
	c.on = true;
	c.ms = 60000;
	CHECK_EQ(hub_cmd(&N, &c), ACK_OK);
	CHECK(fb.unlocked);
	/* the hub goes silent right after its last heartbeat */
	run(&N, 1000 - now % 1000, true);
	uint32_t last = now;
	while (fb.unlocked && now - last < 20000)
		run(&N, 10, false);
	CHECK_EQ(now - last, NODE_HUB_TIMEOUT_MS);
	CHECK(!fb.unlocked);
	CHECK_EQ(N.mode, MODE_LOCAL);
	struct link_msg m;
	int lost = 0;
	while (hub_next(&m))
		lost += m.type == MSG_ALARM && m.code == ALARM_HUB_LOST;
	CHECK_EQ(lost, 0); /* reports wait for the hub: none is sent in local mode */
	CHECK(N.count >= 2); /* the alarm and the state are queued */
}

static void test_unlock_pulse_and_duplicates(void)
{
	start(&N, KIND_LOCK, 0);
	connect(&N);
	struct link_msg c = {0};
	c.type = MSG_LOCK;
	c.on = true;
	c.ms = 2000;
	CHECK_EQ(hub_cmd(&N, &c), ACK_OK);
	CHECK(fb.unlocked);
	/* the same seq again (our ack was lost): acked, not executed again */
	c.on = false;
	hub_send(&N, &c);
	CHECK(fb.unlocked);
	struct link_msg a;
	CHECK(hub_find(MSG_NODE_ACK, &a) && a.ack == c.seq && a.status == ACK_OK);
	run(&N, 1990, true);
	CHECK(fb.unlocked);
	run(&N, 20, true);
	CHECK(!fb.unlocked);
	/* refused: too long a pulse, a relay command to a lock */
	c.on = true;
	c.ms = NODE_UNLOCK_MAX_MS + 1;
	CHECK_EQ(hub_cmd(&N, &c), ACK_BAD);
	CHECK(!fb.unlocked);
	struct link_msg r = {0};
	r.type = MSG_RELAY;
	r.on = true;
	CHECK_EQ(hub_cmd(&N, &r), ACK_UNSUPPORTED);
	/* an unreliable command (seq 0) does nothing */
	c.ms = 1000;
	c.seq = 0;
	hub_send(&N, &c);
	CHECK(!fb.unlocked);
}

static void test_loopback_is_not_a_hub(void)
{
	start(&N, KIND_LOCK, 0);
	connect(&N);
	/* the node's own frames looped back from TX to RX */
	uint32_t frames = N.rx.frames;
	for (int i = 0; i < 100; i++) {
		fb.out_len = 0;
		run(&N, 100, false);
		feed(&N, fb.out, fb.out_len);
	}
	CHECK(N.rx.frames - frames >= 10); /* its heartbeats did come back */
	CHECK_EQ(N.mode, MODE_LOCAL);
	hub_reset();
	fb.out_len = 0;
}

static void set_pins(struct node *n)
{
	struct link_msg p;
	good_vector("pins_two", &p);
	CHECK_EQ(hub_cmd(n, &p), ACK_OK);
	CHECK_EQ(n->pins.count, 2);
}

static int keypad(struct node *n, const char *keys, struct link_msg *out)
{
	for (; *keys; keys++)
		node_key(n, *keys);
	struct link_msg m;
	/* reports go out only to a present hub: look in the ring instead */
	const struct node_report *r = &n->ring[(n->head + n->count - 1) % NODE_RING];
	for (uint8_t i = n->count; i > 0; i--) {
		r = &n->ring[(n->head + i - 1) % NODE_RING];
		if (r->type == MSG_KEYPAD)
			break;
	}
	(void)m;
	if (out) {
		out->result = r->a;
		out->user = r->arg;
		out->opened = r->opened;
	}
	return r->a;
}

static void test_pin_table_and_lockout(void)
{
	start(&N, KIND_LOCK, 0);
	connect(&N);
	set_pins(&N);
	CHECK_EQ(fb.store_calls, 1);
	/* a table that cannot be applied is not half-applied */
	struct link_msg p;
	good_vector("pins_two", &p);
	p.pins.iterations = PIN_MAX_ITERATIONS + 1;
	CHECK_EQ(hub_cmd(&N, &p), ACK_BAD);
	CHECK_EQ(N.pins.count, 2);
	CHECK_EQ(N.pins.iterations, 1000);
	/* hub present: a right PIN is reported, the hub decides */
	run(&N, NODE_BOOT_HOLD_MS, true);
	struct link_msg k;
	CHECK_EQ(keypad(&N, "2468#", &k), KEYPAD_GRANTED);
	CHECK_EQ(k.user, 1);
	CHECK(!k.opened);
	CHECK(!fb.unlocked);
	/* the hub goes away */
	run(&N, NODE_HUB_TIMEOUT_MS, false);
	CHECK_EQ(N.mode, MODE_LOCAL);
	/* four wrong, then the fifth locks the keypad out */
	for (int i = 0; i < NODE_PIN_FAILS; i++)
		CHECK_EQ(keypad(&N, "1111#", NULL), KEYPAD_DENIED);
	CHECK_EQ(keypad(&N, "13579#", NULL), KEYPAD_LOCKED_OUT);
	CHECK(!fb.unlocked);
	run(&N, NODE_LOCKOUT_MS - 20, false);
	CHECK_EQ(keypad(&N, "13579#", NULL), KEYPAD_LOCKED_OUT);
	run(&N, 20, false);
	/* after the lockout, the right PIN opens in local mode, for the default pulse */
	CHECK_EQ(keypad(&N, "13579#", &k), KEYPAD_GRANTED);
	CHECK_EQ(k.user, 70000);
	CHECK(k.opened);
	CHECK(fb.unlocked);
	run(&N, NODE_UNLOCK_DEFAULT_MS, false);
	CHECK(!fb.unlocked);
	/* lockouts grow: 5 wrong, 30 s; a success resets; 10 wrong: 30 s then 60 s */
	for (int i = 0; i < NODE_PIN_FAILS; i++)
		keypad(&N, "0000#", NULL);
	run(&N, NODE_LOCKOUT_MS, false);
	for (int i = 0; i < NODE_PIN_FAILS; i++)
		keypad(&N, "0000#", NULL);
	run(&N, NODE_LOCKOUT_MS, false);
	CHECK_EQ(keypad(&N, "2468#", NULL), KEYPAD_LOCKED_OUT);
	run(&N, NODE_LOCKOUT_MS, false);
	CHECK_EQ(keypad(&N, "2468#", NULL), KEYPAD_GRANTED);
	/* too long, too short, cleared with '*' */
	run(&N, NODE_UNLOCK_DEFAULT_MS, false);
	CHECK_EQ(keypad(&N, "246813579#", NULL), KEYPAD_DENIED);
	CHECK_EQ(keypad(&N, "246#", NULL), KEYPAD_DENIED);
	CHECK_EQ(keypad(&N, "99*2468#", NULL), KEYPAD_GRANTED);
}

static void test_boot_hold(void)
{
	/* a power cycle does not give a keypad guesser fresh tries at once */
	struct pin_table t = {0};
	t.iterations = 1000;
	t.count = 1;
	pin_entry(&t.e[0], 1, "2468", 0, 1000);
	fake_board_reset();
	hub_reset();
	now = 0;
	node_init(&N, KIND_LOCK, "test", 0, &t, now);
	CHECK_EQ(keypad(&N, "2468#", NULL), KEYPAD_LOCKED_OUT);
	CHECK(!fb.unlocked);
	run(&N, NODE_BOOT_HOLD_MS, false);
	CHECK_EQ(keypad(&N, "2468#", NULL), KEYPAD_GRANTED);
	CHECK(fb.unlocked);
}

static void test_local_events_reported_when_hub_returns(void)
{
	start(&N, KIND_LOCK, 0);
	connect(&N);
	set_pins(&N);
	run(&N, NODE_BOOT_HOLD_MS, true);
	run(&N, NODE_HUB_TIMEOUT_MS, false);
	keypad(&N, "2468#", NULL);
	node_door(&N, true);
	node_door(&N, false);
	CHECK(!fb.unlocked); /* relocked when the door shut */
	uint8_t queued = N.count;
	CHECK(queued >= 5);
	/* the hub returns: everything comes up, in order, each once */
	struct link_msg hb = {0};
	hb.type = MSG_HUB_HEARTBEAT;
	hub_send(&N, &hb);
	uint32_t last_no = 0, keypad_no = 0, unlocked_no = 0;
	int keypads = 0, lost = 0, doors = 0;
	for (int i = 0; i < 400 && N.count > 0; i++) {
		run(&N, 10, false);
		struct link_msg m;
		while (hub_next(&m)) {
			if (m.type < MSG_STATE)
				continue;
			CHECK(m.no > last_no);
			last_no = m.no;
			keypads += m.type == MSG_KEYPAD && m.result == KEYPAD_GRANTED && m.opened;
			if (m.type == MSG_KEYPAD)
				keypad_no = m.no;
			if (m.type == MSG_STATE && m.output && !unlocked_no)
				unlocked_no = m.no;
			lost += m.type == MSG_ALARM && m.code == ALARM_HUB_LOST;
			doors += m.type == MSG_DOOR;
			hub_ack(&N, m.seq);
		}
		if (i % 50 == 0)
			hub_send(&N, &hb);
	}
	CHECK_EQ(N.count, 0);
	CHECK_EQ(keypads, 1);
	CHECK_EQ(lost, 1);
	CHECK_EQ(doors, 2);
	/* the entry comes before the state it caused: the hub knows why it opened */
	CHECK(keypad_no != 0 && unlocked_no > keypad_no);
}

static void test_retransmit_until_acked(void)
{
	start(&N, KIND_LOCK, 0);
	connect(&N);
	node_door(&N, true);
	int sends = 0;
	struct link_msg m;
	uint32_t seq = 0;
	for (int i = 0; i < 100; i++) {
		now += 10;
		if (now % 1000 == 0)
			hub_beat(&N);
		node_tick(&N, now);
		while (hub_next(&m))
			if (m.type == MSG_DOOR) {
				sends++;
				CHECK(seq == 0 || m.seq == seq); /* the same frame again */
				seq = m.seq;
			}
	}
	CHECK_EQ(sends, 1000 / NODE_RETRANSMIT_MS + 1);
	hub_ack(&N, seq);
	CHECK_EQ(N.count, 0);
}

static void test_ring_overflow(void)
{
	start(&N, KIND_LOCK, 0);
	connect(&N);
	run(&N, NODE_HUB_TIMEOUT_MS, false);
	uint32_t before = N.next_no - 1 - N.count; /* already acknowledged */
	for (int i = 0; i < 100; i++)
		node_door(&N, i % 2 == 0);
	CHECK_EQ(N.count, NODE_RING);
	CHECK(N.dropped > 0);
	struct link_msg hb = {0};
	hb.type = MSG_HUB_HEARTBEAT;
	hub_send(&N, &hb);
	int alarms = 0;
	uint32_t received = 0, dropped = 0;
	for (int i = 0; i < 200 && N.count > 0; i++) {
		run(&N, 10, false);
		struct link_msg m;
		while (hub_next(&m)) {
			if (m.type == MSG_ALARM && m.code == ALARM_DROPPED) {
				alarms++;
				dropped = m.arg;
			}
			if (m.type >= MSG_STATE) {
				received++;
				hub_ack(&N, m.seq);
			}
		}
		if (i % 50 == 0)
			hub_send(&N, &hb);
	}
	CHECK_EQ(alarms, 1);
	/* nothing vanished unaccounted: every report numbered arrived or was counted */
	CHECK_EQ(received + dropped, N.next_no - 1 - before);
}

static void test_garbage_changes_nothing(void)
{
	start(&N, KIND_LOCK, 0);
	/* the hub never spoke: a flood must not make the node think it did */
	srand(1);
	for (int i = 0; i < 200000; i++) {
		node_rx(&N, (uint8_t)rand());
		if (i % 1000 == 0)
			node_tick(&N, now += 10);
	}
	CHECK_EQ(N.mode, MODE_LOCAL);
	CHECK(!fb.unlocked);
	CHECK_EQ(fb.lock_writes, 0);
	/* and with the hub connected, a flood does not unlock or drop the link */
	connect(&N);
	for (int i = 0; i < 200000; i++) {
		node_rx(&N, (uint8_t)rand());
		if (i % 1000 == 0)
			run(&N, 10, true);
	}
	CHECK(!fb.unlocked);
	CHECK_EQ(fb.lock_writes, 0);
	CHECK(N.rx.bad_frames > 0);
}

static void test_boiler_guards(void)
{
	start(&N, KIND_BOILER, 0);
	connect(&N);
	struct link_msg r = {0};
	r.type = MSG_RELAY;
	r.on = true;
	/* no temperature yet: the relay stays off */
	CHECK_EQ(hub_cmd(&N, &r), ACK_REFUSED);
	CHECK(!fb.relay);
	node_temp(&N, true, 1800);
	CHECK_EQ(hub_cmd(&N, &r), ACK_OK);
	CHECK(fb.relay);
	/* maximum run: cut, then a rest the hub cannot override */
	for (uint32_t t = 0; t < NODE_MAX_RUN_MS; t += 30000) {
		node_temp(&N, true, 1800);
		run(&N, 30000, true);
	}
	CHECK(!fb.relay);
	CHECK_EQ(hub_cmd(&N, &r), ACK_REFUSED);
	for (uint32_t t = 0; t < NODE_REST_MS; t += 30000) {
		node_temp(&N, true, 1800);
		run(&N, 30000, true);
	}
	CHECK_EQ(hub_cmd(&N, &r), ACK_OK);
	CHECK(fb.relay);
	/* the hub goes away: off */
	node_temp(&N, true, 1800);
	run(&N, NODE_HUB_TIMEOUT_MS, false);
	CHECK(!fb.relay);
	CHECK_EQ(N.mode, MODE_LOCAL);
	/* frost guard in local mode: on below 5 °C, off at 8 °C */
	node_temp(&N, true, 450);
	run(&N, 10, false);
	CHECK(fb.relay);
	node_temp(&N, true, 700);
	run(&N, 10, false);
	CHECK(fb.relay);
	node_temp(&N, true, 800);
	run(&N, 10, false);
	CHECK(!fb.relay);
	/* a stale reading is no reading: off, alarm */
	node_temp(&N, true, 300);
	run(&N, 10, false);
	CHECK(fb.relay);
	run(&N, NODE_TEMP_STALE_MS, false);
	CHECK(!fb.relay);
	CHECK(!N.temp_valid);
	/* a lock command to a boiler is refused */
	struct link_msg c = {0};
	c.type = MSG_LOCK;
	c.on = true;
	connect(&N);
	CHECK_EQ(hub_cmd(&N, &c), ACK_UNSUPPORTED);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--write-vectors")) {
		write_vectors();
		return 0;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: node_test <link-vectors.txt> | --write-vectors\n");
		return 2;
	}
	struct {
		const char *name;
		void (*fn)(void);
	} tests[] = {
		{"crc16", test_crc16},
		{"cobs_edges", test_cobs_edges},
		{"cbor_strict", test_cbor_strict},
		{"framing", test_framing},
		{"sha256_pbkdf2", test_sha256_pbkdf2},
		{"reset_is_safe", test_reset_is_safe},
		{"heartbeat_loss_lock", test_heartbeat_loss_lock},
		{"unlock_pulse_and_duplicates", test_unlock_pulse_and_duplicates},
		{"loopback_is_not_a_hub", test_loopback_is_not_a_hub},
		{"pin_table_and_lockout", test_pin_table_and_lockout},
		{"boot_hold", test_boot_hold},
		{"local_events_reported_when_hub_returns", test_local_events_reported_when_hub_returns},
		{"retransmit_until_acked", test_retransmit_until_acked},
		{"ring_overflow", test_ring_overflow},
		{"garbage_changes_nothing", test_garbage_changes_nothing},
		{"boiler_guards", test_boiler_guards},
	};
	int failed_tests = 0;
	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
		int before = test_failures;
		tests[i].fn();
		bool ok = test_failures == before;
		failed_tests += !ok;
		printf("%s %s\n", ok ? "ok  " : "FAIL", tests[i].name);
	}
	int before = test_failures;
	test_vectors(argv[1]);
	printf("%s vectors\n", test_failures == before ? "ok  " : "FAIL");
	failed_tests += test_failures != before;
	printf("%s: %d failed\n", failed_tests ? "FAIL" : "PASS", failed_tests);
	return failed_tests ? 1 : 0;
}
