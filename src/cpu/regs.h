/* The frame every interrupt entry builds (src/irq/isr.asm): general registers in the order the
 * common entry pushes them, then what the stub pushed, then what the CPU pushed. */
#ifndef CADRE_REGS_H
#define CADRE_REGS_H

#include "cpu/frame.defs.h"
#include "cpu/x86.defs.h"
#include "lib/compiler.h"

struct regs {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector;
    uint64_t error_code; /* 0 where the CPU pushes none */
    /* pushed by the CPU (SDM vol. 3A figure 6-9) */
    uint64_t rip, cs, rflags, rsp, ss;
};

_Static_assert(sizeof(struct regs) == REGS_SIZE, "isr.asm builds 22 quadwords");
_Static_assert(__builtin_offsetof(struct regs, vector) == REGS_VECTOR, "frame.defs.h: vector");
_Static_assert(__builtin_offsetof(struct regs, error_code) == REGS_ERROR_CODE,
               "frame.defs.h: error code");
_Static_assert(__builtin_offsetof(struct regs, rip) == REGS_RIP, "frame.defs.h: rip");
_Static_assert(__builtin_offsetof(struct regs, cs) == REGS_CS, "frame.defs.h: cs");
_Static_assert(__builtin_offsetof(struct regs, rflags) == REGS_RFLAGS, "frame.defs.h: rflags");
_Static_assert(__builtin_offsetof(struct regs, rsp) == REGS_RSP, "frame.defs.h: rsp");
_Static_assert(__builtin_offsetof(struct regs, ss) == REGS_SS, "frame.defs.h: ss");

/* Whether the frame's code segment is ring 3's: its RPL (SDM vol. 3A §3.4.2). */
static inline bool regs_from_user(const struct regs *r)
{
    return (r->cs & SEL_RPL_MASK) == SEL_RPL_USER;
}

#endif
