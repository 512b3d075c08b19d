#ifndef CADRE_IDT_H
#define CADRE_IDT_H

#include "lib/compiler.h"

/* One 16-byte IDT gate (SDM vol. 3A §6.14.1, figure 6-8). */
struct idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;       /* bits 0-2: IST index, 0 = none */
    uint8_t type_attr; /* P, DPL, type */
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
} __packed;
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate");

struct idt_gate idt_gate_make(uintptr_t handler, unsigned ist, unsigned type, unsigned dpl);

/* Linux's early_idt_handler_array (arch/x86/kernel/head_64.S, as linux-insides' "Interrupts and
 * Interrupt Handling" part 2 walks through it): vectors 0-31 to the common stubs, no IST.  Called
 * from src/boot/entry.asm before the first line of kmain. */
void idt_early_init(void);
/* Loads that early IDT on an AP (its entries were built by the BSP). */
void idt_early_load(void);
/* trap_init: the full IDT, every vector, from the gate table; no IST yet (no TSS yet). */
void trap_init(void);
/* After the BSP's TSS exists: the IST gates go in and the IDT page becomes read-only. */
void idt_setup_ist(void);
/* Loads the full IDT on this CPU. */
void idt_load(void);
/* The gate of a vector, for reports and the gdb helpers. */
const struct idt_gate *idt_gate(unsigned vector);
uintptr_t idt_gate_handler(const struct idt_gate *g);

/* Stubs from src/irq/isr.asm */
extern const uintptr_t isr_stub_table[256];

#endif
