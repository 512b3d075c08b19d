/* Names of the CPU's exceptions and a one-line decoding of what each one says (SDM vol. 3A
 * chapter 6), for panic reports, ring-3 fault lines and the interrupts table. */
#ifndef CADRE_EXCEPTIONS_H
#define CADRE_EXCEPTIONS_H

#include "cpu/regs.h"

/* "#PF" etc. for an exception vector, "INT" for anything else. */
const char *exception_mnemonic(unsigned vector);
const char *exception_name(unsigned vector);
/* One line naming the exception and decoding its error code, e.g.
 * "#PF page fault at 0x0: read from a not-present page in kernel mode (error code 0x0)". */
void exception_describe(const struct regs *r, char *buf, size_t size);

#endif
