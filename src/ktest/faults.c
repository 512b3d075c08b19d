/* Deliberate faults, for checking the reports themselves (test=fault:NAME, docs/testing.md).
 * Each lives in its own function so the report's RIP names it. */
#include "core/console.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "debug/panic.h"
#include "irq/nmi.h"
#include "ktest/ktest.h"
#include "lib/string.h"
#include "smp/bringup.h"
#include "smp/cpu_init.h"
#include "smp/hotplug.h"
#include "smp/smp.h"
#include "smp/smp_call.h"
#include "user/user.h"
#include "watchdog/watchdog.h"

/* An address the boot page tables do not map once the identity map is gone. */
#define UNMAPPED_ADDRESS 0xcafe0000UL
/* Bit 63 set but not bits 48-62: not canonical (SDM vol. 1 §3.3.7.1), so #GP, not #PF. */
#define NONCANONICAL_ADDRESS 0x8000000000000000UL

__noinline void fault_raise_de(void);
__noinline void fault_raise_de(void)
{
    __asm__ volatile("xor %%ecx, %%ecx; div %%ecx" ::: "eax", "ecx", "edx");
}
__noinline void fault_raise_ud(void);
__noinline void fault_raise_ud(void) { __asm__ volatile("ud2"); }
__noinline void fault_raise_bp(void);
__noinline void fault_raise_bp(void) { __asm__ volatile("int3"); }
__noinline void fault_raise_gp(void);
__noinline void fault_raise_gp(void) { (void)*(volatile uint64_t *)NONCANONICAL_ADDRESS; }
__noinline void fault_raise_pf(void);
__noinline void fault_raise_pf(void) { (void)*(volatile uint64_t *)UNMAPPED_ADDRESS; }

/* Overwrites everything between a local array and the saved frame pointer, which is where
 * both compilers keep the canary copy; the check before `ret` must catch it. */
__noinline void fault_smash_canary(void);
__noinline void fault_smash_canary(void)
{
    char buf[16];
    char *volatile p = buf;
    size_t n = (size_t)((char *)__builtin_frame_address(0) - p);
    memset(p, 0x41, n);
}

/* Unbounded recursion: each frame holds a page-sized buffer so the guard page is reached
 * quickly; the volatile use keeps the compiler from turning it into a loop. */
static volatile unsigned recurse_limit = ~0u; /* never reached: the stack ends first */
__noinline unsigned fault_recurse(unsigned depth);
__noinline unsigned fault_recurse(unsigned depth)
{
    volatile char frame[512];
    frame[0] = (char)depth;
    if (depth >= recurse_limit)
        return depth;
    return fault_recurse(depth + 1) + frame[0];
}
__noinline void fault_stack_overflow(void);
__noinline void fault_stack_overflow(void) { fault_recurse(0); }

static const uint64_t rodata_word = 0x600dc0de;
__noinline void fault_write_rodata(void);
__noinline void fault_write_rodata(void) { *(volatile uint64_t *)&rodata_word = 0; }

static uint8_t data_code[16] = { 0xc3 }; /* `ret`, in a data page: NX must stop it */
__noinline void fault_exec_data(void);
__noinline void fault_exec_data(void) { ((void (*)(void))(uintptr_t)data_code)(); }

__noinline void fault_null_deref(void);
__noinline void fault_null_deref(void) { (void)*(volatile uint64_t *)(uintptr_t)0; }

__noinline void fault_single_step(void);
__noinline void fault_single_step(void)
{
    __asm__ volatile("pushfq\n\torq $0x100, (%%rsp)\n\tpopfq\n\tnop" ::: "memory", "cc");
}

/* Ring 0 touching a user page: SMEP forbids executing it, SMAP reading it without stac
 * (SDM vol. 3A §4.6.1).  Where the CPU lacks them, say so and go on. */
static bool user_page_ready(void)
{
    struct user_result r = user_run(UT_HELLO, 0); /* maps and fills this CPU's user pages */
    return !r.faulted;
}
__noinline void fault_smep(void);
__noinline void fault_smep(void)
{
    if (!cpu_protections.smep) {
        kprintf("test: SMEP is off (the CPU lacks it): nothing to check; skipped");
        return;
    }
    if (user_page_ready())
        ((void (*)(void))user_code_address(cpu_id()))();
}
__noinline void fault_smap(void);
__noinline void fault_smap(void)
{
    if (!cpu_protections.smap) {
        kprintf("test: SMAP is off (the CPU lacks it): nothing to check; skipped");
        return;
    }
    if (user_page_ready())
        (void)*(volatile uint64_t *)user_code_address(cpu_id());
}

/* panic_storm: every other online CPU prints in a loop, in single lines and in console_lock()
 * blocks, and once the log buffer has overflowed (or after STORM_FILL_WAIT_US) the target CPU
 * panics: from thread context, or from its NMI handler.  The report must still come out whole
 * and last, however the printers were caught by the stop NMI (docs/console.md). */
#define STORM_FILL_WAIT_US 2000000
#define STORM_BLOCK_EVERY 8
#define STORM_BLOCK_LINES 4

static void storm_print(void *arg)
{
    (void)arg;
    for (unsigned long n = 0;; n++) {
        if (n % STORM_BLOCK_EVERY) {
            kprintf("storm: cpu%u line %lu: printing while another cpu panics", cpu_id(), n);
            continue;
        }
        console_lock();
        for (int i = 0; i < STORM_BLOCK_LINES; i++)
            kprintf("storm: cpu%u block %lu line %d: printing while another cpu panics", cpu_id(),
                    n, i);
        console_unlock();
    }
}

static void storm_wait_for_overflow(void)
{
    uint64_t before = console_dropped_bytes(), deadline = time_deadline_us(STORM_FILL_WAIT_US);
    while (console_dropped_bytes() == before && !time_after(deadline))
        cpu_relax();
}

__noinline void fault_panic_storm(void *nmi);
__noinline void fault_panic_storm(void *nmi)
{
    storm_wait_for_overflow();
    if (nmi)
        nmi_send(cpu_id(), NMI_REQ_TEST_PANIC);
    else
        panic("panic_storm: cpu%u panics while the other cpus print", cpu_id());
    for (;;)
        cpu_relax(); /* the NMI's panic ends the kernel */
}

/* Runs on the test runner: the printers start on the other CPUs' idle loops, the panic on the
 * target's (thread context, IF=1); the runner then prints too, or panics itself. */
static void storm_start(unsigned target, bool nmi)
{
    unsigned me = cpu_id(), printers = 0;
    for (unsigned c = 0; c < ncpus_possible; c++)
        if (c != me && c != target && cpu_online(c) && !smp_run_in_idle(c, storm_print, NULL))
            printers++;
    kprintf("test: panic_storm: %u cpus print; cpu%u panics%s", printers + (target != me), target,
            nmi ? " from its NMI handler" : "");
    if (target == me)
        fault_panic_storm(nmi ? &printers : NULL);
    if (smp_run_in_idle(target, fault_panic_storm, nmi ? &printers : NULL))
        kprintf("test: warning: panic_storm: cpu%u is busy", target);
    storm_print(NULL);
}
static void storm_thread(unsigned target) { storm_start(target, false); }
static void storm_nmi(unsigned target) { storm_start(target, true); }

/* AC set in ring 3 must not reach the kernel: a program sets it and makes a system call by
 * int 0x80 whose handler reads the user buffer it was given without stac, as a buggy kernel
 * would.  SMAP must stop that read, AC being clear on entry; if it does not, AC came in. */
__noinline uint64_t fault_read_user_without_stac(struct regs *r);
__noinline uint64_t fault_read_user_without_stac(struct regs *r)
{
    return *(volatile uint64_t *)r->rdi;
}
__noinline void fault_user_ac(void);
__noinline void fault_user_ac(void)
{
    if (!cpu_protections.smap) {
        kprintf("test: SMAP is off (the CPU lacks it): nothing to check; skipped");
        return;
    }
    struct user_result r =
        user_run_test(UT_AC_ENTRY, USER_ENTRY_INT80, fault_read_user_without_stac);
    kprintf("test: fault:user_ac: no #PF: the int 0x80 handler read user memory without stac "
            "(it read 0x%llx): AC from ring 3 left SMAP off in it",
            (unsigned long long)r.exit_code);
}

/* Lockups (docs/watchdog.md): the target spins, with interrupts off (hardlockup: only an NMI
 * gets in) or on (softlockup: its ticks come, but it never reaches its idle loop), until the
 * watchdog has reported it, and LOCKUP_HOLD_US more (so the report is seen to come only once);
 * then it goes back to its idle loop, and the watchdog says the lockup ended.  lockup_all has
 * every CPU spin with interrupts off: only the NMI watchdog can see that, and it panics. */
#define LOCKUP_HOLD_US 3000000

static volatile uint64_t lockup_reports_before[MAX_CPUS];
/* Most of a spin is here, inline, so that the NMI or tick lands in the spinning function itself
 * and not in a callee: a callee interrupted at its first instruction has not pushed its frame,
 * and the backtrace would skip the spinner (seen under KVM, at time_after+0x0). */
#define LOCKUP_PAUSES 10000
static inline __attribute__((always_inline)) void lockup_pause(void)
{
    for (unsigned i = 0; i < LOCKUP_PAUSES; i++)
        cpu_relax();
}

__noinline void fault_hardlockup_spin(void *arg);
__noinline void fault_hardlockup_spin(void *arg)
{
    (void)arg;
    unsigned me = cpu_id();
    uint64_t before = lockup_reports_before[me], hold = 0;
    bool irqs = irq_save();
    for (;;) {
        if (!hold && watchdog_hard_reports(me) > before)
            hold = time_deadline_us(LOCKUP_HOLD_US);
        if (hold && (int64_t)(rdtsc() - hold) >= 0)
            break;
        lockup_pause();
    }
    irq_restore(irqs);
}

__noinline void fault_softlockup_spin(void *arg);
__noinline void fault_softlockup_spin(void *arg)
{
    (void)arg;
    unsigned me = cpu_id();
    uint64_t before = lockup_reports_before[me], hold = 0;
    irq_enable();
    for (;;) {
        if (!hold && watchdog_soft_reports(me) > before)
            hold = time_deadline_us(LOCKUP_HOLD_US);
        if (hold && (int64_t)(rdtsc() - hold) >= 0)
            break;
        lockup_pause();
    }
}

__noinline void fault_lockup_all_spin(void *arg);
__noinline void fault_lockup_all_spin(void *arg)
{
    (void)arg;
    irq_disable();
    for (;;)
        cpu_relax(); /* until the NMI watchdog's panic stops this CPU */
}

/* How long a lockup fault waits for its report: the threshold, a few periods, and the time a
 * loaded host may keep a vCPU from running. */
static uint64_t lockup_wait_us(unsigned threshold_ms)
{
    return ((uint64_t)threshold_ms + 10ULL * watchdog_period_ms()) * 1000 + 20000000ULL;
}

static void lockup_start(unsigned target, void (*spin)(void *), const char *kind,
                         unsigned threshold_ms, uint64_t (*reports)(unsigned))
{
    if (!watchdog_running())
        kprintf("test: warning: %s: the watchdog is off: nothing will report it", kind);
    lockup_reports_before[target] = reports(target);
    kprintf("test: %s: cpu%u spins in %s until the watchdog reports it (threshold %u ms)", kind,
            target,
            spin == fault_hardlockup_spin ? "fault_hardlockup_spin" : "fault_softlockup_spin",
            threshold_ms);
    if (target == cpu_id()) {
        spin(NULL);
    } else if (smp_run_in_idle(target, spin, NULL)) {
        kprintf("test: warning: %s: cpu%u is busy", kind, target);
        return;
    } else if (!smp_wait_idle_work(target, lockup_wait_us(threshold_ms))) {
        kprintf("test: warning: %s: cpu%u is still spinning", kind, target);
        return;
    }
    /* The end of the episode is seen at the next check: a few periods. */
    uint64_t deadline = time_deadline_us(lockup_wait_us(0));
    while (watchdog_lockup_active(target) && !time_after(deadline)) {
        console_flush_pending();
        cpu_relax();
    }
    kprintf("test: %s: cpu%u spun, and %llu lockup report(s) named it; %s", kind, target,
            (unsigned long long)(reports(target) - lockup_reports_before[target]),
            watchdog_lockup_active(target) ? "the watchdog has not seen it end"
                                           : "the watchdog saw it end");
}
static void hardlockup_start(unsigned target)
{
    lockup_start(target, fault_hardlockup_spin, "hardlockup", watchdog_hard_ms(),
                 watchdog_hard_reports);
}
static void softlockup_start(unsigned target)
{
    lockup_start(target, fault_softlockup_spin, "softlockup", watchdog_soft_ms(),
                 watchdog_soft_reports);
}
static void lockup_all_start(unsigned target)
{
    (void)target;
    if (!watchdog_nmi_running())
        kprintf("test: warning: lockup_all: no NMI watchdog (watchdog=nmi or all, and an HPET "
                "comparator on a free GSI): nothing will report it");
    unsigned me = cpu_id(), n = 0;
    for (unsigned c = 0; c < ncpus_possible; c++)
        if (c != me && cpu_online(c) && !smp_run_in_idle(c, fault_lockup_all_spin, NULL))
            n++;
    kprintf("test: lockup_all: %u cpus spin in fault_lockup_all_spin with interrupts off", n + 1);
    fault_lockup_all_spin(NULL);
}

/* panic_offline: the last two CPUs offline, then a panic; panic_starting: the same, with the
 * second-last one coming back up (INIT-SIPI-SIPI sent, not waited for) as the panic begins.
 * The report must be whole and count only online CPUs as ones to stop (test_hotplug.py). */
static void offline_two(void)
{
    for (unsigned c = ncpus_possible; c-- > 1 && c + 2 >= ncpus_possible;)
        cpu_offline(c, 0);
}
static void panic_offline(unsigned cpu)
{
    (void)cpu;
    offline_two();
    panic("panic_offline: a panic with cpus offline");
}
static void panic_starting(unsigned cpu)
{
    (void)cpu;
    offline_two();
    if (ncpus_possible > 2)
        smp_start_cpu_nowait(ncpus_possible - 2);
    panic("panic_starting: a panic while a cpu comes up");
}

static const struct {
    const char *name;
    void (*raise)(void);
    void (*raise_from_runner)(
        unsigned cpu); /* instead of raise: runs on the runner, given the CPU */
    const char *what;
    bool recoverable; /* the kernel reports it and goes on */
} faults[] = {
    { "de", fault_raise_de, NULL, "#DE: divide by zero", false },
    { "ud", fault_raise_ud, NULL, "#UD: ud2", false },
    { "bp", fault_raise_bp, NULL, "#BP: int3", true },
    { "db", fault_single_step, NULL, "#DB: single step (TF)", true },
    { "gp", fault_raise_gp, NULL, "#GP: read of a non-canonical address", false },
    { "pf", fault_raise_pf, NULL, "#PF: read of unmapped address 0xcafe0000", false },
    { "null", fault_null_deref, NULL, "#PF: NULL dereference", false },
    { "rodata", fault_write_rodata, NULL, "#PF: write to rodata", false },
    { "nx", fault_exec_data, NULL, "#PF: jump into a data page", false },
    { "df", fault_stack_overflow, NULL, "#DF: kernel stack overflow (unbounded recursion)", false },
    { "overflow", fault_stack_overflow, NULL, "#DF: kernel stack overflow (unbounded recursion)",
      false },
    { "canary", fault_smash_canary, NULL, "stack protector: overwrite the canary", false },
    { "smep", fault_smep, NULL, "#PF: ring 0 executes a user page (SMEP)", true },
    { "smap", fault_smap, NULL, "#PF: ring 0 reads a user page without stac (SMAP)", true },
    { "panic_storm", NULL, storm_thread, "panic while every other cpu prints", false },
    { "panic_storm_nmi", NULL, storm_nmi, "panic in an NMI handler while every other cpu prints",
      false },
    { "hardlockup", NULL, hardlockup_start, "hard lockup: a cpu spins with interrupts off", true },
    { "softlockup", NULL, softlockup_start, "soft lockup: a cpu spins with interrupts on", true },
    { "lockup_all", NULL, lockup_all_start, "every cpu spins with interrupts off", false },
    { "panic_offline", NULL, panic_offline, "panic while cpus are offline", false },
    { "panic_starting", NULL, panic_starting, "panic while one cpu is offline and one starts",
      false },
    { "user_ac", fault_user_ac, NULL,
      "#PF: int 0x80 with AC set in ring 3 reads user memory (SMAP)", true },
};

static void raise_on_this_cpu(void *fn) { ((void (*)(void))fn)(); }

/* NAME or NAME@CPU: the fault is raised on that CPU through a function-call IPI. */
bool fault_raise(const char *spec)
{
    char name[32];
    unsigned long long cpu = 0;
    const char *at = strchr(spec, '@');
    size_t len = at ? (size_t)(at - spec) : strlen(spec);
    if (len >= sizeof name || (at && (parse_u64(at + 1, &cpu) || cpu >= smp_online_count()))) {
        kprintf("test: warning: bad fault '%s' (NAME or NAME@CPU with CPU < %u)", spec,
                smp_online_count());
        return false;
    }
    memcpy(name, spec, len);
    name[len] = '\0';
    for (size_t i = 0; i < ARRAY_SIZE(faults); i++) {
        if (strcmp(name, faults[i].name))
            continue;
        kprintf("test: raising %s deliberately on cpu%llu", faults[i].what, cpu);
        if (faults[i].raise_from_runner)
            faults[i].raise_from_runner((unsigned)cpu);
        else
            smp_call((unsigned)cpu, raise_on_this_cpu, (void *)faults[i].raise,
                     SMP_CALL_TIMEOUT_US);
        if (faults[i].recoverable)
            kprintf("test: fault:%s was handled; the kernel goes on", spec);
        return faults[i].recoverable;
    }
    console_lock();
    kprintf("test: warning: no fault named '%s'; known:", name);
    for (size_t i = 0; i < ARRAY_SIZE(faults); i++)
        kprintf("  fault:%-8s %s", faults[i].name, faults[i].what);
    console_unlock();
    return false;
}
