/* Dispatch of interrupts on vectors 32-255 (hardware interrupts, IPIs) to their handlers. */
#ifndef CADRE_IRQ_H
#define CADRE_IRQ_H

#include "cpu/regs.h"

typedef void (*irq_handler_t)(struct regs *r, void *data);

/* Installs a handler for a vector; returns false if the vector is taken or out of range.
 * After the handler the dispatcher sends the local APIC an EOI where the vector is in service
 * (a software `int` or the spurious vector is not, and must not get one). */
bool irq_set_handler(unsigned vector, irq_handler_t fn, void *data, const char *name);
/* The same for a device interrupt (an I/O APIC route): one source, so its handler runs on one
 * CPU at a time, wherever the route sends it; an interrupt that finds it running on another
 * CPU has that CPU run it once more (irq.c, run_device).  IPIs and the local APIC's own
 * interrupts are per CPU and run on every CPU at once. */
bool irq_set_device_handler(unsigned vector, irq_handler_t fn, void *data, const char *name);
void irq_clear_handler(unsigned vector);
/* Whether a CPU is in a device vector's handler now. */
bool irq_in_progress(unsigned vector);
/* How many interrupts of a device vector found its handler running on another CPU. */
uint64_t irq_handed_over(unsigned vector);
const char *irq_handler_name(unsigned vector);

/* A CPU's own vectors (docs/interrupts.md, "The vector space"): one source (a device's
 * message), so handled like a device vector, on one CPU at a time.  A descriptor may be
 * installed at several (CPU, vector) pairs at once, as it is while it moves: the run_device
 * rule then holds across them.  The vector itself comes from vector.c. */
#define IRQ_MAX_OWN_DESCS 64
struct irq_desc;
/* NULL when all IRQ_MAX_OWN_DESCS are in use.  `counts` (MAX_CPUS entries, or NULL) counts
 * the arrivals on each CPU. */
struct irq_desc *irq_desc_create(irq_handler_t fn, void *data, const char *name, uint32_t *counts);
void irq_own_install(unsigned cpu, unsigned vector, struct irq_desc *d);
void irq_own_remove(unsigned cpu, unsigned vector);
struct irq_desc *irq_own_desc(unsigned cpu, unsigned vector);
bool irq_desc_running(const struct irq_desc *d);
/* At how many (CPU, vector) pairs it is installed now: 1, or 2-3 during a move. */
unsigned irq_desc_installed(const struct irq_desc *d);
uint64_t irq_desc_handed_over(const struct irq_desc *d);

/* Installs the handlers of the local APIC's own vectors (spurious, error, timer): at boot,
 * after lapic_setup and before interrupts are on. */
void irq_init(void);

/* Called from interrupt_dispatch for vectors >= 32, on the IRQ stack. */
void irq_dispatch(struct regs *r);

#endif
