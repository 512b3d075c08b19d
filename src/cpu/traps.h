#ifndef CADRE_TRAPS_H
#define CADRE_TRAPS_H

#include "cpu/regs.h"

/* "#PF" etc. for an exception vector, "INT" for anything else. */
const char *exception_mnemonic(unsigned vector);
const char *exception_name(unsigned vector);
/* One line naming the exception and decoding its error code, e.g.
 * "#PF page fault at 0x0: read from a not-present page in kernel mode (error code 0x0)". */
void exception_describe(const struct regs *r, char *buf, size_t size);

/* The one C entry from src/cpu/isr.asm. */
void interrupt_dispatch(struct regs *r);

#endif
