/* What both Cortex-M3 boards share: registers by address, the reset path
 * (outputs safe before memory is even initialised), a 1 ms SysTick and the
 * main loop. A board file defines the board_* hooks, board_init, the
 * NMI/fault handlers, then includes this. */
#ifndef NODE_CORTEX_M_H
#define NODE_CORTEX_M_H
#include <stdint.h>
#include <string.h>

#include "../src/board.h"
#include "../src/node.h"

#define REG(a) (*(volatile uint32_t *)(a))

#if defined(NODE_KIND_BOILER)
#define NODE_KIND KIND_BOILER
#else
#define NODE_KIND KIND_LOCK
#endif

#define SYST_CSR REG(0xE000E010)
#define SYST_RVR REG(0xE000E014)
#define SYST_CVR REG(0xE000E018)

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);

static volatile uint32_t ms_now;
void SysTick_Handler(void) { ms_now++; }

/* The reset handler drives the outputs safe first: before .data and .bss
 * exist (board_safe_outputs uses no global), so the time from reset to a
 * safe output is a few instructions, not the RAM initialisation. */
void Reset_Handler(void)
{
	board_safe_outputs();
	uint32_t *src = &_sidata;
	for (uint32_t *d = &_sdata; d < &_edata;)
		*d++ = *src++;
	for (uint32_t *d = &_sbss; d < &_ebss;)
		*d++ = 0;
	main();
	for (;;) {
	}
}

/* A fault of any kind: outputs safe, then wait for the watchdog's reset. */
void Fault_Handler(void)
{
	board_safe_outputs();
	for (;;) {
	}
}

void NMI_Handler(void);

__attribute__((section(".vectors"), used)) static const struct {
	uint32_t *stack;
	void (*handler[15])(void);
} vectors = {
	&_estack,
	{
		Reset_Handler,
		NMI_Handler,
		Fault_Handler, /* HardFault */
		Fault_Handler, /* MemManage */
		Fault_Handler, /* BusFault */
		Fault_Handler, /* UsageFault */
		0, 0, 0, 0,
		Fault_Handler, /* SVCall */
		Fault_Handler, /* DebugMon */
		0,
		Fault_Handler, /* PendSV */
		SysTick_Handler,
	},
};

static inline void systick_start(uint32_t cpu_hz)
{
	SYST_RVR = cpu_hz / 1000 - 1;
	SYST_CVR = 0;
	SYST_CSR = 7; /* processor clock, interrupt, enable */
}

#endif
