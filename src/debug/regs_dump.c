#include "debug/regs_dump.h"

#include "core/console.h"

void regs_print_general(const struct regs *r)
{
    kprintf("  RAX %016lx RBX %016lx RCX %016lx", (unsigned long)r->rax, (unsigned long)r->rbx,
            (unsigned long)r->rcx);
    kprintf("  RDX %016lx RSI %016lx RDI %016lx", (unsigned long)r->rdx, (unsigned long)r->rsi,
            (unsigned long)r->rdi);
    kprintf("  RBP %016lx R8  %016lx R9  %016lx", (unsigned long)r->rbp, (unsigned long)r->r8,
            (unsigned long)r->r9);
    kprintf("  R10 %016lx R11 %016lx R12 %016lx", (unsigned long)r->r10, (unsigned long)r->r11,
            (unsigned long)r->r12);
    kprintf("  R13 %016lx R14 %016lx R15 %016lx", (unsigned long)r->r13, (unsigned long)r->r14,
            (unsigned long)r->r15);
}
