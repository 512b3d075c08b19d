/* In-kernel tests that need every CPU: each reports its own per-CPU set-up, and each takes a
 * #BP on its own stack at the same time; and what bring-up leaves behind for the BIOS. */
#include "boot/bootinfo.h"
#include "core/console.h"
#include "cpu/cmos.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "ktest/ktest.h"
#include "mm/paging.h"
#include "smp/smp.h"
#include "smp/smp_call.h"

static volatile unsigned reported;

/* Runs on each CPU: what it finds through its own GS, one line (docs/serial-log.md). */
static void report_self(void *arg)
{
    (void)arg;
    struct percpu *pc = this_cpu();
    uint64_t gs0, canary;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(gs0));
    __asm__ volatile("mov %%gs:40, %0" : "=r"(canary));
    kprintf("percpu: report cpu%u apic %u gs %016lx self %016lx canary %016lx tss %016lx kstack "
            "%016lx irqstack %016lx df %016lx nmi %016lx db %016lx mc %016lx",
            cpu_id(), pc->apic_id, (unsigned long)rdmsr(MSR_GS_BASE), (unsigned long)gs0,
            (unsigned long)canary, (unsigned long)&pc->tss, (unsigned long)pc->kernel_stack.hi,
            (unsigned long)pc->irq_stack.hi, (unsigned long)pc->ist_stack[IST_DF].hi,
            (unsigned long)pc->ist_stack[IST_NMI].hi, (unsigned long)pc->ist_stack[IST_DB].hi,
            (unsigned long)pc->ist_stack[IST_MC].hi);
    __atomic_fetch_add(&reported, 1, __ATOMIC_RELAXED);
}

KTEST(smp_each_cpu_reports)
{
    reported = 0;
    unsigned late = smp_call_all(report_self, NULL, SMP_CALL_TIMEOUT_US);
    KEXPECTF(late == 0, "%u cpus did not answer", late);
    KEXPECTF(reported == smp_online_count(), "%u reports from %u online cpus", reported,
             smp_online_count());
}

static volatile unsigned bp_ok;

static void bp_self(void *arg)
{
    (void)arg;
    struct percpu *pc = this_cpu();
    pc->last_bp_rsp = 0;
    __asm__ volatile("int3");
    uintptr_t sp = pc->last_bp_rsp;
    /* The BSP runs its part from the test's own (kernel) stack; an AP from the call IPI, on
     * its IRQ stack.  Either way the handler must have run on this CPU's own stacks. */
    if ((sp >= pc->kernel_stack.lo && sp < pc->kernel_stack.hi) ||
        (sp >= pc->irq_stack.lo && sp < pc->irq_stack.hi))
        __atomic_fetch_add(&bp_ok, 1, __ATOMIC_RELAXED);
    else
        kprintf("smp: cpu%u: #BP handler ran at %016lx, not on its own stacks", cpu_id(),
                (unsigned long)sp);
}

KTEST(smp_breakpoint_on_every_cpu)
{
    bp_ok = 0;
    unsigned late = smp_call_all(bp_self, NULL, SMP_CALL_TIMEOUT_US);
    KEXPECTF(late == 0, "%u cpus did not answer", late);
    KEXPECTF(bp_ok == smp_online_count(), "%u of %u cpus handled #BP on their own stacks", bp_ok,
             smp_online_count());
}

/* Bring-up set the CMOS shutdown code to 0AH and 40:67 to the trampoline (MP spec B.4); once it
 * is over, both must say "normal reset" again, whatever became of the APs. */
KTEST(smp_warm_reset_restored)
{
    if (boot_info.efi) {
        ktest_skip(
            "UEFI boot: no BIOS warm-reset vector to restore (40:67 and CMOS 0FH are left alone)");
        return;
    }
    uint8_t code = cmos_read(CMOS_SHUTDOWN_STATUS);
    const volatile uint16_t *warm = phys_to_virt(WARM_RESET_VECTOR);
    uint16_t offset = warm[0], segment = warm[1];
    KEXPECTF(code == CMOS_SHUTDOWN_NORMAL, "CMOS shutdown code %#x, expected %#x", code,
             CMOS_SHUTDOWN_NORMAL);
    KEXPECTF(segment == 0 && offset == 0, "warm-reset vector %04x:%04x, expected 0000:0000",
             segment, offset);
}

/* What bring-up writes at once, each AP's area and the top pages of its kernel and IRQ stacks,
 * is packed together, and the stack pages below them (and the IST and NMI stacks) lie apart: a
 * hypervisor backs guest memory on first touch, in 2 MiB pages (mm/pmm.h, docs/memory.md). */
static void span_add(uint64_t *lo, uint64_t *hi, uint64_t phys, uint64_t len)
{
    *lo = MIN(*lo, phys);
    *hi = MAX(*hi, phys + len);
}

KTEST(percpu_boot_memory_packed)
{
    unsigned n = READ_ONCE(ncpus_possible);
    if (n < 2) {
        ktest_skip("one CPU: no AP areas");
        return;
    }
    size_t area = ALIGN_UP(sizeof(struct percpu), PAGE_SIZE);
    uint64_t lo = UINT64_MAX, hi = 0;
    for (unsigned c = 1; c < n; c++) {
        const struct percpu *pc = percpu_areas[c];
        span_add(&lo, &hi, virt_to_phys(pc), area);
        span_add(&lo, &hi, virt_to_phys((void *)(pc->kernel_stack.hi - PAGE_SIZE)), PAGE_SIZE);
        span_add(&lo, &hi, virt_to_phys((void *)(pc->irq_stack.hi - PAGE_SIZE)), PAGE_SIZE);
    }
    /* The page tables that map the stacks come from the same place: one per 2 MiB of stacks
     * (27 pages of address space an AP, guard pages included), and two more for the ends. */
    uint64_t want = (n - 1) * (area + 2 * PAGE_SIZE) + ((n - 1) / 16 + 2) * PAGE_SIZE;
    KEXPECTF(hi - lo <= want,
             "%u APs' areas and stack tops span 0x%llx-0x%llx, 0x%llx bytes: more "
             "than 0x%llx",
             n - 1, (unsigned long long)lo, (unsigned long long)hi, (unsigned long long)(hi - lo),
             (unsigned long long)want);
    unsigned inside = 0;
    for (unsigned c = 1; c < n; c++) {
        const struct percpu *pc = percpu_areas[c];
        const struct percpu_stack *st[] = { &pc->kernel_stack,      &pc->irq_stack,
                                            &pc->ist_stack[IST_DF], &pc->ist_stack[IST_NMI],
                                            &pc->ist_stack[IST_DB], &pc->ist_stack[IST_MC],
                                            &pc->nmi_stack };
        for (unsigned s = 0; s < ARRAY_SIZE(st); s++) {
            bool hot_top = s < 2; /* the kernel and IRQ stacks */
            for (uintptr_t va = st[s]->lo; va < st[s]->hi - (hot_top ? PAGE_SIZE : 0);
                 va += PAGE_SIZE) {
                uint64_t phys = virt_to_phys((void *)va);
                if (phys >= lo && phys < hi && !inside++)
                    kprintf("# cpu%u: stack page %#lx (phys %#llx) among the packed pages", c,
                            (unsigned long)va, (unsigned long long)phys);
            }
        }
    }
    KEXPECTF(!inside, "%u stack pages that bring-up does not touch lie among those it does",
             inside);
}
