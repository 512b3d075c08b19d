#include "cpu/gdt.h"

#include "cpu/x86.defs.h"

/* In 64-bit mode base and limit of code and data segments are ignored (SDM vol. 3A §3.2.4):
 * what matters is type, DPL, present and L. */
#define KCODE (DESC_P | DESC_S | DESC_EXEC | DESC_RW | DESC_A | DESC_L)
#define KDATA (DESC_P | DESC_S | DESC_RW | DESC_A | DESC_DB | DESC_G | DESC_LIMIT_MAX)
#define UCODE (KCODE | DESC_DPL3)
#define UDATA (KDATA | DESC_DPL3)

/* A 16-byte system descriptor for a 64-bit TSS (SDM vol. 3A figure 8-4). */
static void tss_descriptor(uint64_t *slot, const struct tss *tss)
{
    uint64_t base = (uintptr_t)tss, limit = sizeof(*tss) - 1;
    slot[0] = (limit & 0xffff) | (base & 0xffffff) << 16 | (uint64_t)DESC_TYPE_TSS_AVAIL << 40 |
              DESC_P | ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
    slot[1] = base >> 32;
}

struct gdt_ptr {
    uint16_t limit;
    uint64_t base;
} __packed;

static void load(uint64_t *gdt, struct tss *tss)
{
    gdt[0] = 0;
    gdt[SEL_KCODE / 8] = KCODE;
    gdt[SEL_KDATA / 8] = KDATA;
    gdt[SEL_UDATA / 8] = UDATA;
    gdt[SEL_UCODE / 8] = UCODE;
    tss_descriptor(&gdt[SEL_TSS / 8], tss);

    struct gdt_ptr p = { GDT_ENTRIES * 8 - 1, (uintptr_t)gdt };
    /* Reloading GS's selector would clear the GS base on some CPUs; GS and FS keep the null
     * selector the boot path left, and their bases come from MSRs. */
    __asm__ volatile("lgdt %0\n\t"
                     "mov %1, %%ds\n\t"
                     "mov %1, %%es\n\t"
                     "mov %1, %%ss\n\t"
                     "pushq %2\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "ltr %w3"
                     :
                     : "m"(p), "r"((uint64_t)SEL_KDATA), "i"(SEL_KCODE), "r"((uint16_t)SEL_TSS)
                     : "rax", "memory");
}

void gdt_load(struct percpu *pc) { load(pc->gdt, &pc->tss); }

/* The BSP's GDT and TSS until cpu_init: only so that the early IDT's #DF gate can switch to a
 * stack of its own (IST1).  Without it, a fault on a bad stack in early boot (before the
 * per-CPU TSS exists) double-faults on the same bad stack and the CPU resets silently. */
#define EARLY_DF_STACK_SIZE 4096
static uint64_t early_gdt[GDT_ENTRIES] __aligned(16);
static struct tss early_tss __aligned(16);
static uint8_t early_df_stack[EARLY_DF_STACK_SIZE] __aligned(16);

__attribute__((no_stack_protector)) void gdt_early_load(void)
{
    early_tss.ist[IST_DF - 1] = (uintptr_t)early_df_stack + EARLY_DF_STACK_SIZE;
    early_tss.iopb_offset = sizeof(struct tss);
    load(early_gdt, &early_tss);
}
