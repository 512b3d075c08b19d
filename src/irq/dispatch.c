#include "irq/dispatch.h"

#include "core/console.h"
#include "cpu/cpu.h"
#include "cpu/extable.h"
#include "cpu/percpu.h"
#include "debug/exceptions.h"
#include "debug/ksyms.h"
#include "debug/panic.h"
#include "debug/stacks.h"
#include "irq/idt.h"
#include "irq/irq.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/paging.h"
#include "user/user.h"

/* #BP from `int3`: report and go on after the int3 (RIP already points past it). */
static void breakpoint(struct regs *r)
{
    char sym[96], stack[96];
    this_cpu_write(last_bp_rsp, read_rsp());
    ksym_format(r->rip - 1, sym, sizeof sym);
    stack_describe(read_rsp(), stack, sizeof stack);
    kprintf("trap: #BP breakpoint at %016lx <%s> on cpu%u, handled on %s; continuing",
            (unsigned long)(r->rip - 1), sym, cpu_id(), stack);
}

/* Debug status register bits (SDM vol. 3B §18.2.3). */
#define DR6_BS 0x4000 /* single step */
#define DR6_RESET 0xffff0ff0

/* #DB: report; a single step clears TF so the step happens once (SDM vol. 3B §18.3.1.4). */
static void debug_trap(struct regs *r)
{
    uint64_t dr6;
    char sym[96], stack[96];
    __asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
    __asm__ volatile("mov %0, %%dr6" : : "r"((uint64_t)DR6_RESET));
    this_cpu_write(last_db_rsp, read_rsp());
    if (dr6 & DR6_BS)
        r->rflags &= ~(uint64_t)RFLAGS_TF;
    ksym_format(r->rip, sym, sizeof sym);
    stack_describe(read_rsp(), stack, sizeof stack);
    kprintf(
        "trap: #DB debug exception (dr6 %#lx%s) at %016lx <%s> on cpu%u, handled on %s; continuing",
        (unsigned long)dr6, dr6 & DR6_BS ? ", single step" : "", (unsigned long)r->rip, sym,
        cpu_id(), stack);
}

/* A fault whose address is in the guard page below a known stack is an overflow of it. */
static bool stack_overflow(const struct regs *r, char *buf, size_t size)
{
    uintptr_t addrs[] = { r->rsp, r->vector == VEC_DF || r->vector == VEC_PF ? read_cr2() : 0 };
    for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
        struct stack_info st;
        if (addrs[i] && stack_find_guard(addrs[i], &st)) {
            snprintf(buf, size,
                     "kernel stack overflow on cpu%u: %016lx is in the guard page of the %s stack "
                     "of cpu%d",
                     cpu_id(), (unsigned long)addrs[i], st.name, st.cpu);
            return true;
        }
    }
    return false;
}

static void exception(struct regs *r)
{
    if (regs_from_user(r)) {
        user_exception(r);
        return;
    }
    switch (r->vector) {
        case VEC_BP: breakpoint(r); return;
        case VEC_DB: debug_trap(r); return;
        default: break;
    }
    if (extable_fixup(r))
        return;
    char reason[256], detail[160];
    exception_describe(r, reason, sizeof reason);
    if (stack_overflow(r, detail, sizeof detail)) {
        size_t n = strnlen(reason, sizeof reason);
        snprintf(reason + n, sizeof reason - n, ": %s", detail);
    }
    panic_regs(r, reason);
}

void interrupt_dispatch(struct regs *r)
{
    this_cpu_inc(vector_count[r->vector & 0xff]);
    if (r->vector < NUM_EXCEPTIONS)
        exception(r);
    else if (r->vector == VEC_SYSCALL_GATE)
        syscall_int80(r);
    else
        irq_dispatch(r);
}
