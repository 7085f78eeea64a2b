/* Board: qemu's mps2-an385 (Cortex-M3, 25 MHz), the image CI boots.
 *
 * UART0 (qemu's first -serial) is the link to the hub. With
 * NODE_TEST_INPUT (the qemu build only) UART1, the second -serial, is a
 * test port standing in for the hardware: it takes lines "k<keys>" (the
 * keypad), "d0"/"d1" (door contact), "t<centi-degrees>" or "tx" (sensor),
 * "hang" (stop feeding the watchdog), and prints "lock N", "relay N",
 * "mode hub|local", "keypad ready|locked", "boot <reset cause>" as they
 * change. The outputs
 * themselves are variables: this board has no relay. */
#include "cortex_m.h"

#define UART0 0x40004000u
#define UART1 0x40005000u
#define UART_DATA(u) REG((u) + 0x00)
#define UART_STATE(u) REG((u) + 0x04) /* bit0 TX full, bit1 RX full */
#define UART_CTRL(u) REG((u) + 0x08)  /* bit0 TX enable, bit1 RX enable */
#define UART_BAUDDIV(u) REG((u) + 0x10)

/* CMSDK APB watchdog, wired to NMI: the first expiry raises NMI, the
 * second (interrupt still pending) resets the system. */
#define WDOG 0x40008000u
#define WDOG_LOAD REG(WDOG + 0x00)
#define WDOG_CONTROL REG(WDOG + 0x08)
#define WDOG_INTCLR REG(WDOG + 0x0C)
#define WDOG_LOCK REG(WDOG + 0xC00)

/* CMSDK APB timer 0, free-running down from 2^32-1 at the CPU clock. The
 * node's milliseconds come from reading it, not from counting SysTick
 * interrupts: qemu delivers a late timer interrupt once, so a host busy
 * elsewhere made a counted clock lose more than half its ticks (5 s of
 * node time took 7 s and more). A read counter cannot lose time. */
#define TIMER0 0x40000000u
#define TIMER_CTRL REG(TIMER0 + 0x00)
#define TIMER_VALUE REG(TIMER0 + 0x04)
#define TIMER_RELOAD REG(TIMER0 + 0x08)

#define CPU_HZ 25000000u
#define WDOG_MAGIC 0x57444f47u

static volatile bool out_unlocked, out_relay;
__attribute__((section(".noinit"))) static uint32_t reset_magic;

void board_safe_outputs(void)
{
	/* Locked, relay off. On real hardware this is a pin write; here the
	 * state variables are what the test port reports. */
	out_unlocked = false;
	out_relay = false;
}

static void uart_put(uint32_t u, uint8_t b)
{
	while (UART_STATE(u) & 1) {
	}
	UART_DATA(u) = b;
}

static void test_print(const char *s)
{
#ifdef NODE_TEST_INPUT
	while (*s)
		uart_put(UART1, (uint8_t)*s++);
#else
	(void)s;
#endif
}

static void test_print_num(const char *what, uint32_t v)
{
	char buf[16];
	int i = 15;
	buf[i] = 0;
	buf[--i] = '\n';
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i > 0);
	test_print(what);
	test_print(" ");
	test_print(buf + i);
}

void board_set_lock(bool unlocked)
{
	out_unlocked = unlocked;
	test_print_num("lock", unlocked);
}

void board_set_relay(bool on)
{
	out_relay = on;
	test_print_num("relay", on);
}

void board_link_write(const uint8_t *p, size_t n)
{
	/* qemu's UART never backs up for long; a real one would get a ring. */
	for (size_t i = 0; i < n; i++)
		uart_put(UART0, p[i]);
}

void board_store_pins(const struct pin_table *t) { (void)t; }

void NMI_Handler(void)
{
	board_safe_outputs();
	reset_magic = WDOG_MAGIC;
	for (;;) {
	}
}

static struct node node;
static uint32_t timer_prev, cycles_rem, ms;

/* now_ms must run at least every 171 s (2^32 cycles); the main loop, fed
 * to a 1 s watchdog, does. */
static uint32_t now_ms(void)
{
	uint32_t v = TIMER_VALUE;
	cycles_rem += timer_prev - v; /* the counter counts down */
	timer_prev = v;
	ms += cycles_rem / (CPU_HZ / 1000);
	cycles_rem %= CPU_HZ / 1000;
	return ms;
}

#ifdef NODE_TEST_INPUT
static char line[32];
static unsigned line_len;
static bool hang;

static int32_t parse_int(const char *s, bool *ok)
{
	int32_t sign = 1, v = 0;
	*ok = false;
	if (*s == '-') {
		sign = -1;
		s++;
	}
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
		*ok = true;
	}
	return sign * v;
}

static void test_line(void)
{
	line[line_len] = 0;
	bool ok;
	if (line[0] == 'k') {
		for (const char *c = line + 1; *c; c++)
			node_key(&node, *c);
	} else if (line[0] == 'd') {
		node_door(&node, line[1] == '1');
	} else if (line[0] == 't') {
		int32_t v = parse_int(line + 1, &ok);
		node_temp(&node, ok, v);
	} else if (!strcmp(line, "hang")) {
		hang = true;
	}
}

static void test_poll(void)
{
	while (UART_STATE(UART1) & 2) {
		char c = (char)UART_DATA(UART1);
		if (c == '\n' || c == '\r') {
			if (line_len)
				test_line();
			line_len = 0;
		} else if (line_len < sizeof line - 1) {
			line[line_len++] = c;
		}
	}
}
#endif

int main(void)
{
	uint32_t cause = reset_magic == WDOG_MAGIC;
	reset_magic = 0;
	UART_BAUDDIV(UART0) = CPU_HZ / 115200;
	UART_CTRL(UART0) = 3;
#ifdef NODE_TEST_INPUT
	UART_BAUDDIV(UART1) = CPU_HZ / 115200;
	UART_CTRL(UART1) = 3;
	test_print_num("boot", cause);
#endif
	WDOG_LOCK = 0x1ACCE551;
	/* NMI after 1.5 s unfed, reset after 3 s: longer than the Blue Pill's
	 * 1 s, because the emulated watchdog counts host time, and a host
	 * loaded with a whole test suite can keep qemu's CPU thread off the
	 * processor for a second (CI saw a spurious reset at 1 s). */
	WDOG_LOAD = CPU_HZ * 3 / 2;
	WDOG_CONTROL = 3;       /* interrupt and reset enabled */
	WDOG_LOCK = 0;
	TIMER_RELOAD = 0xFFFFFFFFu;
	TIMER_VALUE = 0xFFFFFFFFu;
	timer_prev = 0xFFFFFFFFu;
	TIMER_CTRL = 1;
	node_init(&node, NODE_KIND, NODE_VERSION, cause, NULL, now_ms());
	uint8_t mode = node.mode;
	bool keypad_ready = false;
	for (;;) {
		while (UART_STATE(UART0) & 2)
			node_rx(&node, (uint8_t)UART_DATA(UART0));
#ifdef NODE_TEST_INPUT
		test_poll();
		if (hang)
			continue; /* a hung main loop: the watchdog must reset us */
#endif
		node_tick(&node, now_ms());
		if (node.mode != mode) {
			mode = node.mode;
			test_print(mode == MODE_HUB ? "mode hub\n" : "mode local\n");
		}
		bool ready = (int32_t)(node.now - node.lockout_until) >= 0;
		if (ready != keypad_ready) {
			keypad_ready = ready;
			test_print(ready ? "keypad ready\n" : "keypad locked\n");
		}
		WDOG_LOCK = 0x1ACCE551;
		WDOG_INTCLR = 1;
		WDOG_LOCK = 0;
	}
}
