#include "smp/cpu_init.h"

#include "apic/lapic.h"
#include "apic/lapic_timer.h"
#include "core/console.h"
#include "cpu/cpu.h"
#include "cpu/gdt.h"
#include "cpu/pat.h"
#include "cpu/protections.h"
#include "irq/idt.h"
#include "smp/hotplug.h"
#include "user/user.h"

void cpu_init(struct percpu *pc)
{
    percpu_load(pc);
    pat_init(); /* before this CPU prints: the printer writes the write-combining framebuffer */
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
    kprintf("percpu: cpu%u apic %u, gs base %016lx, canary %016lx, tss %016lx", pc->cpu,
            pc->apic_id, (unsigned long)pc, (unsigned long)pc->stack_canary,
            (unsigned long)&pc->tss);
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
    cpu_touch_watchdog();
    console_flush_pending();
    void (*work)(void *) = __atomic_load_n(&pc->idle_work, __ATOMIC_ACQUIRE);
    /* Taken with a compare-exchange, so that a poster who finds this CPU leaving can take back
     * work not yet taken (smp_run_in_idle), and never work that runs. */
    if (work && work != IDLE_WORK_CLAIMED && work != IDLE_WORK_RUNNING &&
        __atomic_compare_exchange_n(&pc->idle_work, &work, IDLE_WORK_RUNNING, false,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        lapic_timer_wake();
        irq_enable();
        work(pc->idle_arg);
        __atomic_store_n(&pc->idle_work, NULL, __ATOMIC_RELEASE);
        return;
    }
    /* Checked with interrupts off, then sti; hlt: an interrupt that makes work after the
     * check still ends the hlt (sti's one-instruction shadow). */
    irq_disable();
    if (more && more()) {
        lapic_timer_wake(); /* the caller has work: the shell's input */
    } else if (!READ_ONCE(pc->idle_work)) {
        /* An interrupt taken in the hlt sees the flag: the timer's tick, finding its CPU idle,
         * comes less often (timer.idle_hz). */
        pc->idle_halted = 1;
        safe_halt();
        pc->idle_halted = 0;
    }
    irq_enable();
}

__noreturn void cpu_idle(void)
{
    /* The top of the idle loop is where a CPU going offline serves its requests and parks
     * (src/smp/hotplug.c): it holds no lock and is in no handler here.  A pending request
     * keeps cpu_idle_once from halting. */
    for (;;) {
        hotplug_idle_serve();
        cpu_idle_once(hotplug_request_pending);
    }
}
