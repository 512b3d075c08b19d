/* NMI handling (docs/nmi.md): the entry in src/irq/isr.asm makes nested NMIs safe; this is
 * what the handler does.  An NMI carries no data, so a CPU that sends one on purpose first sets
 * request bits in the target's per-CPU area; an NMI with no request is external (LINT1: the
 * host's inject-nmi, or a chipset error reported through port 0x61). */
#ifndef CADRE_NMI_H
#define CADRE_NMI_H

#include "cpu/regs.h"

enum nmi_request {
    NMI_REQ_BACKTRACE = 0x1,     /* print registers and backtrace, then go on */
    NMI_REQ_STOP = 0x2,          /* another CPU panics: stop here for good */
    NMI_REQ_COUNT = 0x4,         /* tests and benchmarks: count it, quietly */
    NMI_REQ_TEST_NESTED = 0x8,   /* test: take a #BP inside the handler, then a second NMI */
    NMI_REQ_REPORT = 0x10,       /* say so in one line (the console's `nmi` command) */
    NMI_REQ_TEST_CONSOLE = 0x20, /* test: take the console lock and print one line */
    NMI_REQ_TEST_PANIC = 0x40,   /* test: panic from NMI context (test=fault:panic_storm_nmi) */
};

void nmi_dispatch(struct regs *r);
/* A layer above (the NMI watchdog, src/watchdog/) asks to see every NMI, on every CPU, before it
 * is taken as external: `hook` returns whether the NMI was its own (a timer it routed with NMI
 * delivery), so that no "external" line is printed for it.  One hook; a second replaces it. */
void nmi_register_watchdog_hook(bool (*hook)(struct regs *r));
/* Sets the request bits on `cpu` and sends it an NMI IPI; -1 (with a line) if it is not online. */
int nmi_send(unsigned cpu, enum nmi_request req);
/* Sets the request on every other online CPU, then sends one NMI to all but self (the ICR
 * shorthand): the fastest way to reach every CPU.  Where some listed CPU is not online, the
 * shorthand would reach it too (apic/ipi.c): then one NMI goes to each online CPU instead. */
int nmi_broadcast(enum nmi_request req);
/* The all-CPU backtrace (like Linux's sysrq-l): every other online CPU prints its registers and
 * backtrace from its NMI handler, then this one prints its own.  Returns how many answered. */
unsigned nmi_backtrace_all(void);
/* For the panic path: stops every other online CPU with an NMI, waiting a bounded time. */
void nmi_stop_others(void);
/* Registers nmi_stop_others as the panic path's way to stop the other CPUs. */
void nmi_init(void);

#endif
