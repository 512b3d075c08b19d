/* The legacy 8259A PICs: remapped out of the exception vectors and fully masked, since the
 * I/O APIC delivers device interrupts.  A masked PIC can still raise a spurious IRQ 7 or 15
 * (8259A datasheet, "interrupt sequence"); pic_spurious() recognises those. */
#ifndef CADRE_PIC_H
#define CADRE_PIC_H

#include "lib/compiler.h"

#define PIC_VECTOR_BASE 0x20 /* IRQ 0-15 -> vectors 0x20-0x2f */
#define PIC_VECTOR_END 0x30

void pic_disable(void);
/* For a vector in [0x20, 0x30): true if it is the PIC's spurious IRQ 7 or 15 (its ISR bit is
 * clear).  A spurious IRQ 15 still needs an EOI to the master, which this sends. */
bool pic_spurious(unsigned vector);

#endif
