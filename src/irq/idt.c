#include "irq/idt.h"

#include "core/console.h"
#include "cpu/gdt.h"
#include "cpu/percpu.h"
#include "cpu/x86.defs.h"
#include "mm/paging.h"

static struct idt_gate early_idt[NUM_EXCEPTIONS] __aligned(16);    /* the BSP's: #DF on IST1 */
static struct idt_gate early_idt_ap[NUM_EXCEPTIONS] __aligned(16); /* an AP's: no TSS yet */
/* Exactly one page, so that it can be mapped read-only once built. */
static struct idt_gate idt[NUM_VECTORS] __aligned(PAGE_SIZE);
_Static_assert(sizeof(idt) == PAGE_SIZE, "the IDT fills one page");

/* Every gate of the full IDT.  The handler is always the vector's stub from isr.asm; rows say
 * what differs.  Interrupt gates throughout: IF is cleared on entry, and a handler that wants
 * interrupts enables them itself.  #BP is DPL 3 so `int3` works from ring 3 (Linux's
 * set_system_intr_gate); the IST gates are Linux's DOUBLEFAULT/NMI/DEBUG/MCE stacks. */
static const struct gate_row {
    uint8_t first, last; /* vector range */
    uint8_t ist;
    uint8_t type;
    uint8_t dpl;
} gate_table[] = {
    { 0, 255, 0, GATE_INTERRUPT, 0 }, /* default for every vector */
    { VEC_DB, VEC_DB, IST_DB, GATE_INTERRUPT, 0 },
    { VEC_NMI, VEC_NMI, IST_NMI, GATE_INTERRUPT, 0 },
    { VEC_BP, VEC_BP, 0, GATE_INTERRUPT, 3 },
    { VEC_DF, VEC_DF, IST_DF, GATE_INTERRUPT, 0 },
    { VEC_MC, VEC_MC, IST_MC, GATE_INTERRUPT, 0 },
    { VEC_SYSCALL_GATE, VEC_SYSCALL_GATE, 0, GATE_INTERRUPT, 3 },
};

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

uintptr_t idt_gate_handler(const struct idt_gate *g)
{
    return (uintptr_t)g->offset_lo | (uintptr_t)g->offset_mid << 16 | (uintptr_t)g->offset_hi << 32;
}

const struct idt_gate *idt_gate(unsigned vector) { return &idt[vector & 0xff]; }

struct idt_ptr {
    uint16_t limit;
    uint64_t base;
} __packed;

static void lidt(void *base, size_t size)
{
    struct idt_ptr p = { (uint16_t)(size - 1), (uintptr_t)base };
    __asm__ volatile("lidt %0" : : "m"(p) : "memory");
}

/* Runs before kmain, so it must be too simple to fault: no stack protector, no calls out but
 * the early GDT's. */
__attribute__((no_stack_protector)) void idt_early_init(void)
{
    gdt_early_load();
    for (unsigned v = 0; v < NUM_EXCEPTIONS; v++) {
        early_idt[v] =
            idt_gate_make(isr_stub_table[v], v == VEC_DF ? IST_DF : 0, GATE_INTERRUPT, 0);
        early_idt_ap[v] = idt_gate_make(isr_stub_table[v], 0, GATE_INTERRUPT, 0);
    }
    lidt(early_idt, sizeof early_idt);
}

/* An AP's first IDT, before it has a TSS (src/smp/ap_entry.asm): no IST, which needs one. */
__attribute__((no_stack_protector)) void idt_early_load(void)
{
    lidt(early_idt_ap, sizeof early_idt_ap);
}

/* IST gates name a stack in the TSS of whichever CPU takes the interrupt, so they may only go in
 * once this CPU has a TSS: before that they would switch to stack 0.  trap_init builds every
 * gate without IST; idt_setup_ist adds it (Linux idt.c does the same two steps). */
void trap_init(void)
{
    for (size_t r = 0; r < ARRAY_SIZE(gate_table); r++) {
        const struct gate_row *row = &gate_table[r];
        for (unsigned v = row->first; v <= row->last; v++)
            idt[v] = idt_gate_make(isr_stub_table[v], 0, row->type, row->dpl);
    }
}
void idt_load(void) { lidt(idt, sizeof idt); }

void idt_setup_ist(void)
{
    /* Only the IST byte of each IST gate changes, one byte store each: an NMI taken meanwhile
     * never sees a half-written gate. */
    for (size_t r = 0; r < ARRAY_SIZE(gate_table); r++)
        for (unsigned v = gate_table[r].first; v <= gate_table[r].last && gate_table[r].ist; v++)
            WRITE_ONCE(idt[v].ist, gate_table[r].ist);
    paging_set_flags((uintptr_t)idt, sizeof idt, PTE_NX | PTE_G);
    kprintf(
        "idt: %u gates; IST1 #DF, IST2 NMI, IST3 #DB, IST4 #MC; #BP and 0x80 DPL 3; page read-only",
        NUM_VECTORS);
}
