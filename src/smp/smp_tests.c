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
