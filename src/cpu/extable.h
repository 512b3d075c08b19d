/* The exception-fixup table: an instruction listed here may fault (in ring 0) without a panic;
 * the trap handler resumes at its fixup address instead, and the fixup code returns an error.
 * Entries are emitted beside the instruction by EXTABLE_ENTRY and collected by the linker
 * (.extable, src/kernel.ld). */
#ifndef CADRE_EXTABLE_H
#define CADRE_EXTABLE_H

#include "cpu/regs.h"

struct extable_entry {
    uint64_t insn, fixup;
};

#define EXTABLE_ENTRY(insn, fixup) \
    ".pushsection .extable, \"a\"\n\t.balign 8\n\t.quad " #insn ", " #fixup "\n\t.popsection\n\t"

/* If the faulting instruction has a fixup, points regs->rip at it and returns true. */
bool extable_fixup(struct regs *r);

/* MSR access that survives a #GP for an MSR the CPU does not have: 0, or -1. */
static inline int rdmsr_safe(uint32_t msr, uint64_t *val)
{
    uint32_t lo = 0, hi = 0;
    int err = 0;
    __asm__ volatile("1: rdmsr\n"
                     "2:\n\t" EXTABLE_ENTRY(1b, 3f) ".pushsection .text.fixup, \"ax\"\n"
                                                    "3: movl $-1, %[err]\n\t"
                                                    "jmp 2b\n\t"
                                                    ".popsection"
                     : [err] "+r"(err), "+a"(lo), "+d"(hi)
                     : "c"(msr));
    *val = (uint64_t)hi << 32 | lo;
    return err;
}

static inline int wrmsr_safe(uint32_t msr, uint64_t val)
{
    int err = 0;
    __asm__ volatile("1: wrmsr\n"
                     "2:\n\t" EXTABLE_ENTRY(1b, 3f) ".pushsection .text.fixup, \"ax\"\n"
                                                    "3: movl $-1, %[err]\n\t"
                                                    "jmp 2b\n\t"
                                                    ".popsection"
                     : [err] "+r"(err)
                     : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
                     : "memory");
    return err;
}

/* A 64-bit read that survives a #PF or #GP: 0, or -1. */
static inline int read_u64_safe(const volatile uint64_t *p, uint64_t *val)
{
    uint64_t v = 0;
    int err = 0;
    __asm__ volatile("1: movq (%[p]), %[v]\n"
                     "2:\n\t" EXTABLE_ENTRY(1b, 3f) ".pushsection .text.fixup, \"ax\"\n"
                                                    "3: movl $-1, %[err]\n\t"
                                                    "jmp 2b\n\t"
                                                    ".popsection"
                     : [err] "+r"(err), [v] "+r"(v)
                     : [p] "r"(p)
                     : "memory");
    *val = v;
    return err;
}

#endif
