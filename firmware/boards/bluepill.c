/* Board: STM32F103C8 "Blue Pill", register level (no vendor library).
 *
 * Clock: the internal 8 MHz HSI through the PLL to 64 MHz (no crystal to
 * depend on). Link: USART1, PA9 TX / PA10 RX, 115 200 8N1, 3.3 V levels.
 * Lock relay (lock image): PB12, high = energised = unlocked, so a board
 * without power or in reset leaves the strike de-energised: locked (the
 * relay driver needs a pull-down on its input: a pin floats at reset).
 * Boiler relay (boiler image): PB13, high = on, same pull-down.
 * Door contact: PB14 to GND through a reed switch, internal pull-up: low =
 * closed. Keypad: 4x3 matrix, rows PA0-PA3 (driven low one at a time),
 * columns PA4-PA6 (pull-ups). Temperature: a 10 kOhm NTC (B 3950) from PA7
 * to GND, 10 kOhm from PA7 to 3.3 V. Watchdog: the independent watchdog
 * (IWDG, LSI clock), about 1 s. The PIN table is kept in the last 1 KB
 * flash page. docs/operations.md has the wiring and how to flash. */
#include "cortex_m.h"

#define RCC 0x40021000u
#define RCC_CR REG(RCC + 0x00)
#define RCC_CFGR REG(RCC + 0x04)
#define RCC_APB2ENR REG(RCC + 0x18)
#define RCC_CSR REG(RCC + 0x24)
#define FLASH_R 0x40022000u
#define FLASH_ACR REG(FLASH_R + 0x00)
#define FLASH_KEYR REG(FLASH_R + 0x04)
#define FLASH_SR REG(FLASH_R + 0x0C)
#define FLASH_CR REG(FLASH_R + 0x10)
#define FLASH_AR REG(FLASH_R + 0x14)
#define GPIOA 0x40010800u
#define GPIOB 0x40010C00u
#define GPIO_CRL(g) REG((g) + 0x00)
#define GPIO_CRH(g) REG((g) + 0x04)
#define GPIO_IDR(g) REG((g) + 0x08)
#define GPIO_ODR(g) REG((g) + 0x0C)
#define GPIO_BSRR(g) REG((g) + 0x10)
#define USART1 0x40013800u
#define USART_SR REG(USART1 + 0x00)
#define USART_DR REG(USART1 + 0x04)
#define USART_BRR REG(USART1 + 0x08)
#define USART_CR1 REG(USART1 + 0x0C)
#define IWDG_KR REG(0x40003000u)
#define IWDG_PR REG(0x40003004u)
#define IWDG_RLR REG(0x40003008u)
#define ADC1 0x40012400u
#define ADC_SR REG(ADC1 + 0x00)
#define ADC_CR2 REG(ADC1 + 0x08)
#define ADC_SMPR2 REG(ADC1 + 0x10)
#define ADC_SQR3 REG(ADC1 + 0x34)
#define ADC_DR REG(ADC1 + 0x4C)

#define CPU_HZ 64000000u
#define PIN_PAGE 0x0800FC00u
#define PIN_MAGIC 0x4e504e31u /* "NPN1" */

#define LOCK_PIN 12
#define RELAY_PIN 13
#define DOOR_PIN 14

void board_safe_outputs(void)
{
	/* GPIOB clock on, PB12/PB13 low, then outputs (push-pull, 2 MHz): low
	 * is already in ODR before the pins stop floating. No globals here. */
	RCC_APB2ENR |= 1u << 3;
	GPIO_BSRR(GPIOB) = (1u << (16 + LOCK_PIN)) | (1u << (16 + RELAY_PIN));
	uint32_t crh = GPIO_CRH(GPIOB);
	crh &= ~((0xFu << 16) | (0xFu << 20));
	crh |= (0x2u << 16) | (0x2u << 20);
	GPIO_CRH(GPIOB) = crh;
}

void board_set_lock(bool unlocked)
{
	GPIO_BSRR(GPIOB) = unlocked ? 1u << LOCK_PIN : 1u << (16 + LOCK_PIN);
}

void board_set_relay(bool on)
{
	GPIO_BSRR(GPIOB) = on ? 1u << RELAY_PIN : 1u << (16 + RELAY_PIN);
}

void board_link_write(const uint8_t *p, size_t n)
{
	/* 115 200 baud is 87 us a byte: a full PIN-table-sized frame blocks
	 * for about 50 ms, well inside the watchdog's second. */
	for (size_t i = 0; i < n; i++) {
		while (!(USART_SR & (1u << 7))) {
		}
		USART_DR = p[i];
	}
}

struct stored_pins {
	uint32_t magic;
	struct pin_table t;
	uint32_t check; /* sum of the words above: a torn write is not loaded */
};

static uint32_t checksum(const struct stored_pins *s)
{
	const uint32_t *w = (const uint32_t *)s;
	uint32_t sum = 0x9e3779b9u;
	for (size_t i = 0; i < offsetof(struct stored_pins, check) / 4; i++)
		sum = (sum << 5 | sum >> 27) ^ w[i];
	return sum;
}

void board_store_pins(const struct pin_table *t)
{
	static struct stored_pins s;
	s.magic = PIN_MAGIC;
	s.t = *t;
	s.check = checksum(&s);
	FLASH_KEYR = 0x45670123u;
	FLASH_KEYR = 0xCDEF89ABu;
	while (FLASH_SR & 1) {
	}
	FLASH_CR = 1u << 1; /* page erase */
	FLASH_AR = PIN_PAGE;
	FLASH_CR |= 1u << 6;
	while (FLASH_SR & 1) {
	}
	FLASH_CR = 1u << 0; /* program, half-words */
	const uint16_t *src = (const uint16_t *)&s;
	volatile uint16_t *dst = (volatile uint16_t *)PIN_PAGE;
	for (size_t i = 0; i < sizeof s / 2; i++) {
		dst[i] = src[i];
		while (FLASH_SR & 1) {
		}
		IWDG_KR = 0xAAAAu;
	}
	FLASH_CR = 1u << 7; /* lock */
}

static const struct pin_table *stored_pins(void)
{
	const struct stored_pins *s = (const struct stored_pins *)PIN_PAGE;
	if (s->magic != PIN_MAGIC || s->check != checksum(s))
		return NULL;
	return &s->t;
}

void NMI_Handler(void) { Fault_Handler(); }

static void clock_64mhz(void)
{
	FLASH_ACR = 0x12; /* prefetch, 2 wait states for 48-72 MHz */
	/* PLL from HSI/2 x16 = 64 MHz; APB1 /2 (at most 36 MHz); ADC /8 = 8 MHz */
	RCC_CFGR = (0xEu << 18) | (0x4u << 8) | (0x3u << 14);
	RCC_CR |= 1u << 24;
	while (!(RCC_CR & (1u << 25))) {
	}
	RCC_CFGR |= 0x2u; /* system clock: PLL */
	while ((RCC_CFGR & 0xCu) != 0x8u) {
	}
}

static void io_init(void)
{
	RCC_APB2ENR |= (1u << 2) | (1u << 3) | (1u << 9) | (1u << 14); /* GPIOA, GPIOB, ADC1, USART1 */
	/* PA0-PA3 rows: open-drain outputs, released (high); PA4-PA6 columns:
	 * inputs with pull-up; PA7: analog. */
	GPIO_ODR(GPIOA) = 0x7F;
	GPIO_CRL(GPIOA) = 0x08886666u;
	/* PA9 USART1 TX alternate push-pull; PA10 RX input with pull-up */
	uint32_t crh = GPIO_CRH(GPIOA) & ~0xFF0u;
	GPIO_CRH(GPIOA) = crh | 0x8B0u;
	GPIO_ODR(GPIOA) |= 1u << 10;
	/* PB14 door contact: input, pull-up */
	crh = GPIO_CRH(GPIOB) & ~(0xFu << 24);
	GPIO_CRH(GPIOB) = crh | (0x8u << 24);
	GPIO_ODR(GPIOB) |= 1u << DOOR_PIN;
	USART_BRR = (CPU_HZ + 115200 / 2) / 115200;
	USART_CR1 = (1u << 13) | (1u << 3) | (1u << 2);
	ADC_SMPR2 = 0x7u << 21; /* channel 7: the longest sample time */
	ADC_SQR3 = 7;
	ADC_CR2 = 1; /* power on */
}

/* ADC counts for -20..40 °C in steps of 5 (the divider above). */
static const uint16_t ntc[] = {3740, 3629, 3495, 3337, 3156, 2955, 2738,
			       2510, 2278, 2048, 1825, 1614, 1419};

static bool read_temp(int32_t *centi)
{
	ADC_CR2 = 1; /* a second write of ADON starts a conversion */
	while (!(ADC_SR & 2)) {
	}
	int32_t v = (int32_t)(ADC_DR & 0xFFF);
	if (v > ntc[0] || v < ntc[sizeof ntc / sizeof ntc[0] - 1])
		return false; /* open or shorted sensor, or out of range */
	for (size_t i = 0; i + 1 < sizeof ntc / sizeof ntc[0]; i++) {
		if (v <= ntc[i] && v >= ntc[i + 1]) {
			int32_t span = ntc[i] - ntc[i + 1];
			*centi = -2000 + (int32_t)i * 500 + (ntc[i] - v) * 500 / span;
			return true;
		}
	}
	return false;
}

/* scan_keypad returns the key held, or 0. */
static char scan_keypad(void)
{
	static const char keys[4][3] = {{'1', '2', '3'}, {'4', '5', '6'}, {'7', '8', '9'}, {'*', '0', '#'}};
	char found = 0;
	for (int r = 0; r < 4; r++) {
		GPIO_BSRR(GPIOA) = 1u << (16 + r);
		for (volatile int d = 0; d < 50; d++) {
		}
		uint32_t in = GPIO_IDR(GPIOA);
		GPIO_BSRR(GPIOA) = 1u << r;
		for (int c = 0; c < 3; c++)
			if (!(in & (1u << (4 + c))))
				found = keys[r][c];
	}
	return found;
}

static struct node node;

int main(void)
{
	uint32_t cause = (RCC_CSR >> 29) & 1; /* IWDGRSTF */
	RCC_CSR |= 1u << 24;                  /* clear the reset flags */
	IWDG_KR = 0xCCCCu;                    /* start: cannot be stopped again */
	IWDG_KR = 0x5555u;
	IWDG_PR = 4;   /* LSI 40 kHz / 64 */
	IWDG_RLR = 625; /* about 1 s */
	IWDG_KR = 0xAAAAu;
	clock_64mhz();
	io_init();
	systick_start(CPU_HZ);
	node_init(&node, NODE_KIND, NODE_VERSION, cause, stored_pins(), ms_now);
	uint32_t last_scan = 0, last_temp = 0;
	char held = 0;
	uint8_t door_same = 0;
	bool door_last = false;
	for (;;) {
		while (USART_SR & ((1u << 5) | (1u << 3)))
			node_rx(&node, (uint8_t)USART_DR); /* reading DR also clears an overrun */
		uint32_t now = ms_now;
		if (now - last_scan >= 20) {
			last_scan = now;
			/* a key counts once, when it is let go after being held */
			char k = node.kind == KIND_LOCK ? scan_keypad() : 0;
			if (held && !k)
				node_key(&node, held);
			held = k;
			/* door: the same reading five scans in a row (100 ms) */
			bool open = (GPIO_IDR(GPIOB) >> DOOR_PIN) & 1;
			door_same = open == door_last ? (uint8_t)(door_same + 1) : 0;
			door_last = open;
			if (door_same == 5 && node.kind == KIND_LOCK)
				node_door(&node, open);
		}
		if (node.kind == KIND_BOILER && now - last_temp >= 1000) {
			last_temp = now;
			int32_t t = 0;
			bool ok = read_temp(&t);
			node_temp(&node, ok, t);
		}
		node_tick(&node, now);
		IWDG_KR = 0xAAAAu;
	}
}
