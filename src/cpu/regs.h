/* The frame every interrupt entry builds (src/cpu/isr.asm): general registers in the order the
 * common entry pushes them, then what the stub pushed, then what the CPU pushed. */
#ifndef CADRE_REGS_H
#define CADRE_REGS_H

#include "lib/compiler.h"

struct regs {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector;
    uint64_t error_code; /* 0 where the CPU pushes none */
    /* pushed by the CPU (SDM vol. 3A figure 6-9) */
    uint64_t rip, cs, rflags, rsp, ss;
};

_Static_assert(sizeof(struct regs) == 22 * 8, "isr.asm builds 22 quadwords");
_Static_assert(__builtin_offsetof(struct regs, vector) == 15 * 8, "isr.asm: vector after 15 GPRs");

#endif
