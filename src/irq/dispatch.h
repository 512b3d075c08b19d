/* The one router (xv6's trap()): every interrupt, exception and int 0x80 comes here from the
 * entry stubs of src/irq/isr.asm, and branches to its handler. */
#ifndef CADRE_DISPATCH_H
#define CADRE_DISPATCH_H

#include "cpu/regs.h"

/* The one C entry from src/irq/isr.asm. */
void interrupt_dispatch(struct regs *r);

#endif
