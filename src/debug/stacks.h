/* Which stack an address is on: for the backtrace (it must not walk off a stack) and for
 * reports ("ran on the NMI stack of cpu2"). */
#ifndef CADRE_STACKS_H
#define CADRE_STACKS_H

#include "lib/compiler.h"

struct stack_info {
    uintptr_t lo, hi; /* [lo, hi): usable bytes, the guard page below lo excluded */
    const char *name;
    int cpu; /* -1: not a CPU's own */
};

bool stack_find(uintptr_t addr, struct stack_info *out);
/* The stack whose guard page (the page below lo) holds addr: an overflow of that stack. */
bool stack_find_guard(uintptr_t addr, struct stack_info *out);
/* "the IRQ stack of cpu2", "no known stack (0000dead00000000)", for reports. */
void stack_describe(uintptr_t addr, char *buf, size_t size);
/* Adds a stack; called as stacks are made (boot, cpu_init). */
void stack_register(uintptr_t lo, uintptr_t hi, const char *name, int cpu);

#endif
