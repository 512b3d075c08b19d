#include "debug/exceptions.h"

#include "cpu/cpu.h"
#include "cpu/x86.defs.h"
#include "debug/ksyms.h"
#include "lib/printf.h"

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

const char *exception_mnemonic(unsigned v)
{
    return v < NUM_EXCEPTIONS ? exceptions[v].mnemonic : "INT";
}
const char *exception_name(unsigned v)
{
    return v < NUM_EXCEPTIONS ? exceptions[v].name : "interrupt";
}

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

static bool has_error_code(unsigned v)
{
    return v < NUM_EXCEPTIONS && (EXC_ERROR_CODE_MASK >> v) & 1;
}

void exception_describe(const struct regs *r, char *buf, size_t size)
{
    unsigned v = (unsigned)r->vector;
    uint64_t e = r->error_code;
    char where[96];
    ksym_format(r->rip, where, sizeof where);

    if (v == VEC_PF) {
        uint64_t cr2 = read_cr2();
        const char *access = e & PF_I   ? "instruction fetch from"
                             : e & PF_W ? "write to"
                                        : "read from";
        snprintf(buf, size,
                 "#PF page fault at 0x%016lx: %s a %s in %s mode%s%s%s (error code 0x%lx)",
                 (unsigned long)cr2, access,
                 e & PF_P ? "present page (protection violation)" : "not-present page",
                 e & PF_U ? "user" : "kernel",
                 e & PF_RSVD ? ", reserved bit set in a page-table entry" : "",
                 e & PF_PK ? ", protection key" : "", e & PF_SS ? ", shadow stack" : "",
                 (unsigned long)e);
    } else if (has_error_code(v) && v != VEC_DF && e) {
        /* #TS #NP #SS #GP #AC ...: a selector error code where non-zero */
        snprintf(buf, size, "%s %s at %016lx <%s>: %s index %lu%s (error code 0x%lx)",
                 exception_mnemonic(v), exception_name(v), (unsigned long)r->rip, where,
                 e & SEL_ERR_IDT  ? "IDT vector"
                 : e & SEL_ERR_TI ? "LDT selector"
                                  : "GDT selector",
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
