#include "cbor.h"

void cbor_w_init(struct cbor_w *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->overflow = false;
}

static void put_byte(struct cbor_w *w, uint8_t b)
{
	if (w->len >= w->cap) {
		w->overflow = true;
		return;
	}
	w->buf[w->len++] = b;
}

static void put_head(struct cbor_w *w, uint8_t major, uint32_t v)
{
	major = (uint8_t)(major << 5);
	if (v < 24) {
		put_byte(w, (uint8_t)(major | v));
	} else if (v <= 0xFF) {
		put_byte(w, major | 24);
		put_byte(w, (uint8_t)v);
	} else if (v <= 0xFFFF) {
		put_byte(w, major | 25);
		put_byte(w, (uint8_t)(v >> 8));
		put_byte(w, (uint8_t)v);
	} else {
		put_byte(w, major | 26);
		for (int s = 24; s >= 0; s -= 8)
			put_byte(w, (uint8_t)(v >> s));
	}
}

void cbor_put_uint(struct cbor_w *w, uint32_t v) { put_head(w, 0, v); }

void cbor_put_int(struct cbor_w *w, int32_t v)
{
	if (v >= 0)
		put_head(w, 0, (uint32_t)v);
	else
		put_head(w, 1, (uint32_t)(-(v + 1)));
}

void cbor_put_bytes(struct cbor_w *w, const uint8_t *p, size_t n)
{
	put_head(w, 2, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		put_byte(w, p[i]);
}

void cbor_put_text(struct cbor_w *w, const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	put_head(w, 3, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		put_byte(w, (uint8_t)s[i]);
}

void cbor_put_array(struct cbor_w *w, uint32_t n) { put_head(w, 4, n); }
void cbor_put_bool(struct cbor_w *w, bool v) { put_byte(w, v ? 0xF5 : 0xF4); }
void cbor_put_null(struct cbor_w *w) { put_byte(w, 0xF6); }

void cbor_r_init(struct cbor_r *r, const uint8_t *buf, size_t len)
{
	r->buf = buf;
	r->len = len;
	r->pos = 0;
	r->bad = false;
}

static bool fail(struct cbor_r *r)
{
	r->bad = true;
	return false;
}

/* get_head reads one head of the given major type in its shortest form. */
static bool get_head(struct cbor_r *r, uint8_t major, uint32_t *v)
{
	if (r->bad || r->pos >= r->len)
		return fail(r);
	uint8_t ib = r->buf[r->pos];
	if ((ib >> 5) != major)
		return fail(r);
	uint8_t ai = ib & 0x1F;
	size_t extra;
	uint32_t min;
	if (ai < 24) {
		r->pos++;
		*v = ai;
		return true;
	}
	switch (ai) {
	case 24: extra = 1; min = 24; break;
	case 25: extra = 2; min = 0x100; break;
	case 26: extra = 4; min = 0x10000; break;
	default: return fail(r); /* 64-bit, reserved, indefinite */
	}
	if (r->len - r->pos - 1 < extra)
		return fail(r);
	uint32_t x = 0;
	for (size_t i = 0; i < extra; i++)
		x = (x << 8) | r->buf[r->pos + 1 + i];
	if (x < min)
		return fail(r); /* not the shortest form */
	r->pos += 1 + extra;
	*v = x;
	return true;
}

bool cbor_get_uint(struct cbor_r *r, uint32_t *v) { return get_head(r, 0, v); }

bool cbor_get_int(struct cbor_r *r, int32_t *v)
{
	uint32_t x;
	if (r->bad || r->pos >= r->len)
		return fail(r);
	if ((r->buf[r->pos] >> 5) == 0) {
		if (!get_head(r, 0, &x) || x > 0x7FFFFFFF)
			return fail(r);
		*v = (int32_t)x;
		return true;
	}
	if (!get_head(r, 1, &x) || x > 0x7FFFFFFF)
		return fail(r);
	*v = -(int32_t)x - 1;
	return true;
}

static bool get_string(struct cbor_r *r, uint8_t major, const uint8_t **p, size_t *n)
{
	uint32_t len;
	if (!get_head(r, major, &len))
		return false;
	if (len > r->len - r->pos)
		return fail(r);
	*p = r->buf + r->pos;
	*n = len;
	r->pos += len;
	return true;
}

bool cbor_get_bytes(struct cbor_r *r, const uint8_t **p, size_t *n)
{
	return get_string(r, 2, p, n);
}

/* Text is only ever a version string: printable ASCII is all the node
 * needs to accept, which also spares a UTF-8 validator. */
bool cbor_get_text(struct cbor_r *r, const char **p, size_t *n)
{
	const uint8_t *b;
	if (!get_string(r, 3, &b, n))
		return false;
	for (size_t i = 0; i < *n; i++)
		if (b[i] < 0x20 || b[i] > 0x7E)
			return fail(r);
	*p = (const char *)b;
	return true;
}

bool cbor_get_array(struct cbor_r *r, uint32_t *n) { return get_head(r, 4, n); }

bool cbor_get_bool(struct cbor_r *r, bool *v)
{
	if (r->bad || r->pos >= r->len)
		return fail(r);
	uint8_t b = r->buf[r->pos];
	if (b != 0xF4 && b != 0xF5)
		return fail(r);
	*v = b == 0xF5;
	r->pos++;
	return true;
}

bool cbor_peek_null(struct cbor_r *r)
{
	if (r->bad || r->pos >= r->len || r->buf[r->pos] != 0xF6)
		return false;
	r->pos++;
	return true;
}

bool cbor_end(const struct cbor_r *r) { return !r->bad && r->pos == r->len; }
