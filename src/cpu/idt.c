#include "cpu/idt.h"

#include "cpu/x86.defs.h"

static struct idt_gate early_idt[NUM_EXCEPTIONS] __aligned(16);

struct idt_gate idt_gate_make(uintptr_t handler, unsigned ist, unsigned type, unsigned dpl)
{
    return (struct idt_gate){
        .offset_lo = handler & 0xffff,
        .selector = SEL_KCODE,
        .ist = ist & 7,
        .type_attr = GATE_P | (dpl == 3 ? GATE_DPL3 : 0) | type,
        .offset_mid = (handler >> 16) & 0xffff,
        .offset_hi = handler >> 32,
    };
}

struct idt_ptr {
    uint16_t limit;
    uint64_t base;
} __packed;

/* Runs before kmain, so it must be too simple to fault: no stack protector, no calls out. */
__attribute__((no_stack_protector)) void idt_early_init(void)
{
    for (unsigned v = 0; v < NUM_EXCEPTIONS; v++)
        early_idt[v] = idt_gate_make(isr_stub_table[v], 0, GATE_INTERRUPT, 0);
    struct idt_ptr p = { sizeof(early_idt) - 1, (uintptr_t)early_idt };
    __asm__ volatile("lidt %0" : : "m"(p) : "memory");
}
