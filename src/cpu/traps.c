#include "cpu/traps.h"

#include "cpu/cpu.h"
#include "cpu/extable.h"
#include "cpu/idt.h"
#include "cpu/percpu.h"
#include "cpu/stacks.h"
#include "irq/irq.h"
#include "kernel/console.h"
#include "kernel/ksyms.h"
#include "kernel/panic.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/paging.h"
#include "user/user.h"

/* SDM vol. 3A table 6-1; 28-30 are AMD's (APM vol. 2 §8.2). */
static const struct {
    const char *mnemonic, *name;
} exceptions[NUM_EXCEPTIONS] = {
    [0] = { "#DE", "divide error" },
    [1] = { "#DB", "debug exception" },
    [2] = { "NMI", "non-maskable interrupt" },
    [3] = { "#BP", "breakpoint" },
    [4] = { "#OF", "overflow" },
    [5] = { "#BR", "bound range exceeded" },
    [6] = { "#UD", "invalid opcode" },
    [7] = { "#NM", "device not available" },
    [8] = { "#DF", "double fault" },
    [9] = { "#CSO", "coprocessor segment overrun" },
    [10] = { "#TS", "invalid TSS" },
    [11] = { "#NP", "segment not present" },
    [12] = { "#SS", "stack-segment fault" },
    [13] = { "#GP", "general protection fault" },
    [14] = { "#PF", "page fault" },
    [15] = { "#15", "reserved exception 15" },
    [16] = { "#MF", "x87 floating-point error" },
    [17] = { "#AC", "alignment check" },
    [18] = { "#MC", "machine check" },
    [19] = { "#XM", "SIMD floating-point exception" },
    [20] = { "#VE", "virtualization exception" },
    [21] = { "#CP", "control protection exception" },
    [22] = { "#22", "reserved exception 22" },
    [23] = { "#23", "reserved exception 23" },
    [24] = { "#24", "reserved exception 24" },
    [25] = { "#25", "reserved exception 25" },
    [26] = { "#26", "reserved exception 26" },
    [27] = { "#27", "reserved exception 27" },
    [28] = { "#HV", "hypervisor injection exception" },
    [29] = { "#VC", "VMM communication exception" },
    [30] = { "#SX", "security exception" },
    [31] = { "#31", "reserved exception 31" },
};

const char *exception_mnemonic(unsigned v) { return v < NUM_EXCEPTIONS ? exceptions[v].mnemonic : "INT"; }
const char *exception_name(unsigned v) { return v < NUM_EXCEPTIONS ? exceptions[v].name : "interrupt"; }

/* Page-fault error code (SDM vol. 3A §4.7, figure 4-12). */
#define PF_P 0x01    /* 0: not-present page; 1: protection violation */
#define PF_W 0x02    /* write */
#define PF_U 0x04    /* user mode */
#define PF_RSVD 0x08 /* reserved bit set in a paging entry */
#define PF_I 0x10    /* instruction fetch */
#define PF_PK 0x20   /* protection key */
#define PF_SS 0x40   /* shadow-stack access */

/* Selector error code (SDM vol. 3A §6.13, figure 6-7). */
#define SEL_ERR_EXT 0x1 /* external event */
#define SEL_ERR_IDT 0x2 /* index into the IDT */
#define SEL_ERR_TI 0x4  /* LDT rather than GDT */

static bool has_error_code(unsigned v) { return v < NUM_EXCEPTIONS && (isr_error_code_mask >> v) & 1; }

void exception_describe(const struct regs *r, char *buf, size_t size)
{
    unsigned v = (unsigned)r->vector;
    uint64_t e = r->error_code;
    char where[96];
    ksym_format(r->rip, where, sizeof where);

    if (v == VEC_PF) {
        uint64_t cr2 = read_cr2();
        const char *access = e & PF_I ? "instruction fetch from" : e & PF_W ? "write to" : "read from";
        snprintf(buf, size, "#PF page fault at 0x%016lx: %s a %s in %s mode%s%s%s (error code 0x%lx)",
                 (unsigned long)cr2, access,
                 e & PF_P ? "present page (protection violation)" : "not-present page",
                 e & PF_U ? "user" : "kernel", e & PF_RSVD ? ", reserved bit set in a page-table entry" : "",
                 e & PF_PK ? ", protection key" : "", e & PF_SS ? ", shadow stack" : "",
                 (unsigned long)e);
    } else if (has_error_code(v) && v != VEC_DF && e) {
        /* #TS #NP #SS #GP #AC ...: a selector error code where non-zero */
        snprintf(buf, size, "%s %s at %016lx <%s>: %s index %lu%s (error code 0x%lx)",
                 exception_mnemonic(v), exception_name(v), (unsigned long)r->rip, where,
                 e & SEL_ERR_IDT ? "IDT vector" : e & SEL_ERR_TI ? "LDT selector" : "GDT selector",
                 (unsigned long)(e >> 3), e & SEL_ERR_EXT ? ", external event" : "",
                 (unsigned long)e);
    } else if (has_error_code(v)) {
        snprintf(buf, size, "%s %s at %016lx <%s> (error code 0x%lx)", exception_mnemonic(v),
                 exception_name(v), (unsigned long)r->rip, where, (unsigned long)e);
    } else {
        snprintf(buf, size, "%s %s at %016lx <%s>", exception_mnemonic(v), exception_name(v),
                 (unsigned long)r->rip, where);
    }
}

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
    kprintf("trap: #DB debug exception (dr6 %#lx%s) at %016lx <%s> on cpu%u, handled on %s; continuing",
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
            snprintf(buf, size, "kernel stack overflow on cpu%u: %016lx is in the guard page of the %s stack of cpu%d",
                     cpu_id(), (unsigned long)addrs[i], st.name, st.cpu);
            return true;
        }
    }
    return false;
}

static void exception(struct regs *r)
{
    if (r->cs & 3) {
        user_exception(r);
        return;
    }
    switch (r->vector) {
    case VEC_BP:
        breakpoint(r);
        return;
    case VEC_DB:
        debug_trap(r);
        return;
    default:
        break;
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
