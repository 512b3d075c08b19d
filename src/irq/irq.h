/* Dispatch of interrupts on vectors 32-255 (hardware interrupts, IPIs) to their handlers. */
#ifndef CADRE_IRQ_H
#define CADRE_IRQ_H

#include "cpu/regs.h"

typedef void (*irq_handler_t)(struct regs *r, void *data);

/* Installs a handler for a vector; returns false if the vector is taken or out of range.
 * After the handler the dispatcher sends the local APIC an EOI where the vector is in service
 * (a software `int` or the spurious vector is not, and must not get one). */
bool irq_set_handler(unsigned vector, irq_handler_t fn, void *data, const char *name);
void irq_clear_handler(unsigned vector);
const char *irq_handler_name(unsigned vector);

/* Called from interrupt_dispatch for vectors >= 32, on the IRQ stack. */
void irq_dispatch(struct regs *r);


#endif
