#include "cpu/cpu_init.h"

#include "apic/lapic.h"
#include "apic/lapic_timer.h"
#include "cpu/cpu.h"
#include "cpu/gdt.h"
#include "cpu/idt.h"
#include "kernel/console.h"
#include "user/user.h"

struct cpu_protections cpu_protections;

/* NX (EFER.NXE), WP, and SMEP/SMAP/UMIP where CPUID leaf 7 has them (SDM vol. 3A §2.5, §4.6). */
static void protections_enable(void)
{
    struct cpu_protections p = { 0 };
    uint64_t cr4 = read_cr4() | CR4_PGE;
    if (cpuid(CPUID_EXT_LEAF, 0).eax >= CPUID_EXT_FEATURES &&
        (cpuid(CPUID_EXT_FEATURES, 0).edx & CPUID_EXT_EDX_NX)) {
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
        p.nx = true;
    }
    if (cpuid_max_leaf() >= 7) {
        struct cpuid_regs l7 = cpuid(7, 0);
        if (l7.ebx & CPUID_7_EBX_SMEP) {
            cr4 |= CR4_SMEP;
            p.smep = true;
        }
        if (l7.ebx & CPUID_7_EBX_SMAP) {
            cr4 |= CR4_SMAP;
            p.smap = true;
        }
        if (l7.ecx & CPUID_7_ECX_UMIP) {
            cr4 |= CR4_UMIP;
            p.umip = true;
        }
    }
    write_cr4(cr4);
    write_cr0(read_cr0() | CR0_WP);
    p.wp = true;
    cpu_protections = p;
}

void cpu_init(struct percpu *pc)
{
    percpu_load(pc);
    gdt_load(pc);
    idt_load();
    protections_enable();
    user_cpu_init();
    lapic_init();
    if (pc->cpu != 0) {
        lapic_timer_start();
        return; /* APs come up quietly; test smp_each_cpu_reports has each describe itself */
    }
    /* The timer's calibration window (periodic mode) runs while the BSP describes itself. */
    lapic_timer_calibrate_begin();
    {
        const struct cpu_protections *p = &cpu_protections;
        kprintf("cpu: protections: NX %s, WP %s, SMEP %s, SMAP %s, UMIP %s", p->nx ? "on" : "off",
                p->wp ? "on" : "off", p->smep ? "on" : "off (CPU lacks it)",
                p->smap ? "on" : "off (CPU lacks it)", p->umip ? "on" : "off (CPU lacks it)");
    }
    kprintf("percpu: cpu%u apic %u, gs base %016lx, canary %016lx, tss %016lx", pc->cpu, pc->apic_id,
            (unsigned long)pc, (unsigned long)pc->stack_canary, (unsigned long)&pc->tss);
    kprintf("percpu: cpu%u stacks: kernel %016lx-%016lx irq %016lx-%016lx", pc->cpu,
            (unsigned long)pc->kernel_stack.lo, (unsigned long)pc->kernel_stack.hi,
            (unsigned long)pc->irq_stack.lo, (unsigned long)pc->irq_stack.hi);
    kprintf("percpu: cpu%u stacks: #DF %016lx NMI %016lx #DB %016lx #MC %016lx (tops)", pc->cpu,
            (unsigned long)pc->ist_stack[IST_DF].hi, (unsigned long)pc->ist_stack[IST_NMI].hi,
            (unsigned long)pc->ist_stack[IST_DB].hi, (unsigned long)pc->ist_stack[IST_MC].hi);
    lapic_timer_calibrate();
    lapic_timer_start();
}

void cpu_idle_once(bool (*more)(void))
{
    struct percpu *pc = this_cpu();
    console_flush_pending();
    void (*work)(void *) = __atomic_load_n(&pc->idle_work, __ATOMIC_ACQUIRE);
    if (work) {
        irq_enable();
        work(pc->idle_arg);
        __atomic_store_n(&pc->idle_work, NULL, __ATOMIC_RELEASE);
        return;
    }
    /* Checked with interrupts off, then sti; hlt: an interrupt that makes work after the
     * check still ends the hlt (sti's one-instruction shadow). */
    irq_disable();
    if (!READ_ONCE(pc->idle_work) && !(more && more()))
        safe_halt();
    irq_enable();
}

__noreturn void cpu_idle(void)
{
    for (;;)
        cpu_idle_once(NULL);
}
