#include "debug/stacks.h"

#include "cpu/layout.defs.h"
#include "cpu/percpu.defs.h"
#include "lib/compiler.h"
#include "lib/printf.h"

extern char boot_stack_bottom[], boot_stack_top[];

#define MAX_STACKS (8 * MAX_CPUS) /* kernel, IRQ, 4 IST, NMI work: 7 per CPU, and room */

static struct stack_info stacks[MAX_STACKS];
static unsigned nstacks;

void stack_register(uintptr_t lo, uintptr_t hi, const char *name, int cpu)
{
    unsigned i = __atomic_fetch_add(&nstacks, 1, __ATOMIC_RELAXED);
    if (i < MAX_STACKS)
        stacks[i] = (struct stack_info){ lo, hi, name, cpu };
}

bool stack_find(uintptr_t addr, struct stack_info *out)
{
    if (addr >= (uintptr_t)boot_stack_bottom && addr < (uintptr_t)boot_stack_top) {
        *out = (struct stack_info){ (uintptr_t)boot_stack_bottom, (uintptr_t)boot_stack_top, "boot",
                                    0 };
        return true;
    }
    unsigned n = MIN(__atomic_load_n(&nstacks, __ATOMIC_ACQUIRE), (unsigned)MAX_STACKS);
    for (unsigned i = 0; i < n; i++) {
        if (addr >= stacks[i].lo && addr < stacks[i].hi) {
            *out = stacks[i];
            return true;
        }
    }
    return false;
}

bool stack_find_guard(uintptr_t addr, struct stack_info *out)
{
    return addr < UINTPTR_MAX - PAGE_SIZE && stack_find(addr + PAGE_SIZE, out) && addr < out->lo &&
           addr + PAGE_SIZE >= out->lo;
}

void stack_describe(uintptr_t addr, char *buf, size_t size)
{
    struct stack_info st;
    if (stack_find(addr, &st))
        snprintf(buf, size, "the %s stack of cpu%d", st.name, st.cpu);
    else
        snprintf(buf, size, "no known stack (%016lx)", (unsigned long)addr);
}
