/* The per-CPU areas and their stacks, made on the BSP before each CPU runs (docs/percpu.md). */
#include "smp/cpu_areas.h"

#include "cpu/cpu.h"
#include "debug/panic.h"
#include "debug/stacks.h"
#include "mm/paging.h"
#include "mm/pmm.h"

extern char boot_stack_bottom[], boot_stack_top[];

static struct percpu_stack make_stack(size_t size, const char *name, unsigned cpu,
                                      bool used_at_once)
{
    uintptr_t lo = stack_map(size, used_at_once);
    if (!lo)
        panic("percpu: no memory for the %s stack of cpu%u", name, cpu);
    stack_register(lo, lo + size, name, (int)cpu);
    return (struct percpu_stack){ lo, lo + size };
}

struct percpu *percpu_create(unsigned n, uint32_t apic_id)
{
    static const char *const ist_names[IST_COUNT + 1] = {
        [IST_DF] = "#DF",
        [IST_NMI] = "NMI entry (IST2)",
        [IST_DB] = "#DB",
        [IST_MC] = "#MC",
    };
    static const size_t ist_sizes[IST_COUNT + 1] = {
        [IST_DF] = IST_STACK_SIZE,
        [IST_NMI] = IST_STACK_SIZE,
        [IST_DB] = IST_STACK_SIZE,
        [IST_MC] = IST_STACK_SIZE,
    };
    if (n >= MAX_CPUS)
        panic("percpu: cpu%u is beyond MAX_CPUS (%u)", n, MAX_CPUS);
    struct percpu *pc;
    if (n == 0) {
        pc = &bsp_percpu;
        pc->kernel_stack =
            (struct percpu_stack){ (uintptr_t)boot_stack_bottom, (uintptr_t)boot_stack_top };
    } else {
        size_t pages = ALIGN_UP(sizeof(struct percpu), PAGE_SIZE) / PAGE_SIZE;
        uint64_t phys = pmm_alloc_pages(pages);
        if (!phys)
            panic("percpu: no memory for the area of cpu%u", n);
        pc = phys_to_virt(phys);
        pc->self = pc;
        pc->cpu = n;
        pc->state = CPU_ABSENT;
        pc->kernel_stack = make_stack(KERNEL_STACK_SIZE, "kernel", n, true);
    }
    pc->apic_id = apic_id;
    pc->irq_stack = make_stack(IRQ_STACK_SIZE, "IRQ", n, true);
    pc->irq_stack_top = pc->irq_stack.hi;
    for (unsigned i = 1; i <= IST_COUNT; i++)
        pc->ist_stack[i] = make_stack(ist_sizes[i], ist_names[i], n, false);

    pc->nmi_stack = make_stack(IST_STACK_SIZE, "NMI", n, false);
    pc->nmi_work_top = pc->nmi_stack.hi;
    /* TSS.RSP0: where an interrupt from ring 3 lands; IST1-4 (SDM vol. 3A §8.7). */
    pc->tss.rsp[0] = pc->kernel_stack.hi;
    for (unsigned i = 1; i <= IST_COUNT; i++)
        pc->tss.ist[i - 1] = pc->ist_stack[i].hi;
    pc->tss.iopb_offset = sizeof(struct tss);

    percpu_areas[n] = pc;
    if (n >= ncpus_possible)
        ncpus_possible = n + 1;
    return pc;
}
