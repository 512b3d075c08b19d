/* The AP trampoline: real mode -> protected mode -> long mode (src/smp/trampoline.asm), and the
 * parameter block it shares with C.  Every field is named; nothing is patched at an offset. */
#ifndef CADRE_TRAMPOLINE_H
#define CADRE_TRAMPOLINE_H

#include "lib/compiler.h"
#include "smp/trampoline.defs.h"

/* One AP to be started: found by the AP itself, by its APIC ID (Linux's parallel bring-up does
 * the same with cpuid_to_apicid[]). */
struct smp_boot_entry {
    uint32_t apic_id;
    uint32_t alive; /* set by the AP in the trampoline's 64-bit code */
    uint64_t percpu;
    uint64_t stack_top;
};

struct trampoline_params {
    uint64_t gdt[4];
    uint16_t gdtr_limit;
    uint32_t gdtr_base;
    uint16_t pad0;
    uint32_t far32_offset;
    uint16_t far32_selector;
    uint16_t pad1;
    uint32_t far64_offset;
    uint16_t far64_selector;
    uint16_t pad2;
    uint32_t cr3;
    uint32_t efer;
    uint64_t kernel_cr3;
    uint64_t entry64;
    uint64_t table;
    uint32_t count;
    uint32_t strays;
} __packed;

#define TP_FIELD(f, off) \
    _Static_assert(__builtin_offsetof(struct trampoline_params, f) == (off)-TP_PARAMS, #f)
TP_FIELD(gdt, TP_GDT);
TP_FIELD(gdtr_limit, TP_GDTR);
TP_FIELD(far32_offset, TP_FAR32);
TP_FIELD(far64_offset, TP_FAR64);
TP_FIELD(cr3, TP_CR3);
TP_FIELD(efer, TP_EFER);
TP_FIELD(kernel_cr3, TP_KERNEL_CR3);
TP_FIELD(entry64, TP_ENTRY64);
TP_FIELD(table, TP_TABLE);
TP_FIELD(count, TP_COUNT);
TP_FIELD(strays, TP_STRAYS);
_Static_assert(sizeof(struct trampoline_params) == TP_END - TP_PARAMS, "trampoline params size");
_Static_assert(__builtin_offsetof(struct smp_boot_entry, alive) == SBE_ALIVE, "sbe alive");
_Static_assert(__builtin_offsetof(struct smp_boot_entry, percpu) == SBE_PERCPU, "sbe percpu");
_Static_assert(__builtin_offsetof(struct smp_boot_entry, stack_top) == SBE_STACK_TOP, "sbe stack");
_Static_assert(sizeof(struct smp_boot_entry) == SBE_SIZE, "sbe size");

extern const char trampoline_start[], trampoline_end[];
/* Where the 32-bit and 64-bit parts begin, for the far jumps' targets. */
extern const char trampoline_protected_mode[], trampoline_long_mode[];

#endif
