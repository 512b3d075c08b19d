#ifndef CADRE_BACKTRACE_H
#define CADRE_BACKTRACE_H

#include "lib/compiler.h"

#define BACKTRACE_MAX 32

/* Prints "#0 rip name+off" and then one line per frame found by following saved frame
 * pointers from rbp.  The walk stays on the stack rbp points into, frames must go upwards,
 * and it stops at a zero frame pointer: a corrupt chain ends the trace, it never faults. */
void backtrace_print(uintptr_t rip, uintptr_t rbp);
/* The same, where the first address is a return address (panic's caller). */
void backtrace_print_from_return(uintptr_t ret, uintptr_t rbp);
/* Collects return addresses the same way; returns how many. */
unsigned backtrace_collect(uintptr_t rbp, uintptr_t *out, unsigned max);

#endif
