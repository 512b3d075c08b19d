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

/* Installs the handlers of the local APIC's own vectors (spurious, error, timer): at boot,
 * after lapic_setup and before interrupts are on. */
void irq_init(void);

/* Called from interrupt_dispatch for vectors >= 32, on the IRQ stack. */
void irq_dispatch(struct regs *r);

#endif
