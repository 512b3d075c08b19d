/* In-kernel tests of ring 3: the program on every CPU, both kinds of system call, every fault
 * case ending the program, not the kernel, and AC left behind on every way in. */
#include "apic/ipi.h"
#include "core/cmdline.h"
#include "core/console.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "cpu/vectors.h"
#include "irq/irq.h"
#include "irq/nmi.h"
#include "ktest/ktest.h"
#include "lib/string.h"
#include "smp/cpu_init.h"
#include "smp/smp.h"
#include "smp/smp_call.h"
#include "user/user.h"

KTEST(user_hello_this_cpu)
{
    struct user_result r = user_run(UT_HELLO, 0);
    uint64_t want = (uint64_t)cpu_id() << 16 | cpu_id();
    KEXPECTF(!r.faulted && r.exit_code == want, "faulted %d, exit 0x%llx, expected 0x%llx",
             r.faulted, (unsigned long long)r.exit_code, (unsigned long long)want);
}

static struct user_result results[MAX_CPUS];
static uint64_t spin_iterations = 30000000;

static const char *param_spin(const char *v)
{
    unsigned long long n;
    if (!v || parse_u64(v, &n) || !n)
        return "expected user.spin=N (loop iterations, N > 0)";
    spin_iterations = n;
    return NULL;
}
KERNEL_PARAM("user.spin", param_spin,
             "N: iterations of the ring-3 loop in test user_spin_every_cpu (default 30000000)");

static void run_hello(void *arg)
{
    (void)arg;
    results[cpu_id()] = user_run(UT_HELLO, 0);
}

static void run_spin(void *arg)
{
    (void)arg;
    kprintf("user: cpu%u: spinning in ring 3", cpu_id());
    results[cpu_id()] = user_run(UT_SPIN, spin_iterations);
}

static unsigned on_every_cpu(void (*fn)(void *), uint64_t timeout_us)
{
    unsigned n = ncpus_possible;
    for (unsigned c = 0; c < n; c++)
        results[c] = (struct user_result){ .faulted = true, .exit_code = ~0ULL };
    for (unsigned c = 1; c < n; c++)
        if (cpu_online(c))
            smp_run_in_idle(c, fn, NULL);
    fn(NULL);
    uint64_t deadline = time_deadline_us(timeout_us);
    unsigned late = 0;
    for (unsigned c = 1; c < n; c++) {
        if (!cpu_online(c))
            continue;
        bool irqs = irq_save();
        irq_enable();
        while (!smp_idle_work_done(c) && !time_after(deadline)) {
            console_flush_pending();
            cpu_relax();
        }
        irq_restore(irqs);
        late += !smp_idle_work_done(c);
    }
    return late;
}

KTEST(user_hello_every_cpu)
{
    unsigned late = on_every_cpu(run_hello, 5000000);
    KEXPECTF(!late, "%u cpus did not finish", late);
    for (unsigned c = 0; c < ncpus_possible; c++) {
        if (!cpu_online(c))
            continue;
        uint64_t want = (uint64_t)c << 16 | c;
        KEXPECTF(!results[c].faulted && results[c].exit_code == want,
                 "cpu%u: exit 0x%llx, expected 0x%llx", c, (unsigned long long)results[c].exit_code,
                 (unsigned long long)want);
    }
}

/* Long enough for the host to inject NMIs while every CPU is in ring 3 (test/test_user.py). */
KTEST(user_spin_every_cpu)
{
    unsigned late = on_every_cpu(run_spin, 60000000);
    KEXPECTF(!late, "%u cpus did not finish", late);
    for (unsigned c = 0; c < ncpus_possible; c++)
        if (cpu_online(c))
            KEXPECTF(!results[c].faulted && results[c].exit_code == 0,
                     "cpu%u: faulted %d, exit 0x%llx", c, results[c].faulted,
                     (unsigned long long)results[c].exit_code);
}

KTEST(user_faults_end_the_program)
{
    static const struct {
        unsigned ut;
        int vector; /* -1: no fault, exit 0 */
    } cases[] = {
        { UT_INT3, -1 },
        { UT_SINGLE_STEP, -1 },
        { UT_INT20, VEC_GP },
        { UT_READ_KERNEL, VEC_PF },
        { UT_WRITE_KERNEL, VEC_PF },
        { UT_CLI, VEC_GP },
        { UT_HLT, VEC_GP },
        { UT_RDMSR, VEC_GP },
        { UT_MOV_CR3, VEC_GP },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct user_result r = user_run(cases[i].ut, 0);
        if (cases[i].vector < 0)
            KEXPECTF(!r.faulted && r.exit_code == 0, "%s: faulted %d (vector %u), exit 0x%llx",
                     user_case_name(cases[i].ut), r.faulted, r.vector,
                     (unsigned long long)r.exit_code);
        else
            KEXPECTF(r.faulted && r.vector == (unsigned)cases[i].vector,
                     "%s: faulted %d, vector %u, expected %d", user_case_name(cases[i].ut),
                     r.faulted, r.vector, cases[i].vector);
    }
    /* sgdt / sidt: #GP only where UMIP is on (SDM vol. 3A §2.5, CR4.UMIP). */
    for (unsigned ut = UT_SGDT; ut <= UT_SIDT; ut++) {
        struct user_result r = user_run(ut, 0);
        if (cpu_protections.umip)
            KEXPECTF(r.faulted && r.vector == VEC_GP, "%s with UMIP on: faulted %d vector %u",
                     user_case_name(ut), r.faulted, r.vector);
        else
            KEXPECTF(!r.faulted && r.exit_code == 1, "%s without UMIP: faulted %d",
                     user_case_name(ut), r.faulted);
    }
    if (!cpu_protections.umip)
        ktest_log("UMIP is off (the CPU lacks it): sgdt and sidt ran in ring 3, as they may");
}

/* RFLAGS.AC set in ring 3 must not come into the kernel: interrupt and exception delivery keep
 * it (SDM vol. 3A §6.12.1.3 clears only TF, NT, RF and VM, and IF for an interrupt gate), and
 * with it set SMAP lets ring 0 read and write user pages (§4.6.1), so a program could turn SMAP
 * off for every handler it enters.  The program sets AC before each way in; each handler
 * records the RFLAGS it runs with where the saved RFLAGS have AC set (user_entry_note). */
#define AC_NMI_SENDS 20000 /* at most this many NMIs from the other CPU ... */
#define AC_NMI_GAP_US 200  /* ... one every 200 us */
#define AC_SENDER_WAIT_US 5000000

static const char *const entry_names[USER_ENTRY_COUNT] = {
    [USER_ENTRY_EXCEPTION] = "exception (#BP)",
    [USER_ENTRY_IRQ] = "IRQ (self IPI)",
    [USER_ENTRY_NMI] = "NMI (from another CPU)",
    [USER_ENTRY_INT80] = "int 0x80",
    [USER_ENTRY_SYSCALL] = "syscall",
};
static volatile bool nmi_sender_stop;

static void ac_irq(struct regs *r, void *data)
{
    (void)data;
    user_entry_note(USER_ENTRY_IRQ, r);
}

/* SYS_TEST: for an IRQ, a self IPI: pending while IF is off here, taken as soon as sysret gives
 * ring 3 its IF back.  Returns whether an IRQ or NMI from ring 3 has been recorded. */
static uint64_t ac_test_call(struct regs *r)
{
    unsigned path = (unsigned)r->rsi;
    if (path != USER_ENTRY_IRQ && path != USER_ENTRY_NMI)
        return 0;
    bool seen = user_entry_rflags(path) != 0;
    if (path == USER_ENTRY_IRQ && !seen)
        ipi_self(VEC_IPI_TEST);
    return seen;
}

/* On another CPU, in its idle loop: NMIs at `arg` while its program spins in ring 3.  An NMI is
 * never held back by IF, so a CPU cannot aim one of its own at ring 3. */
static void nmi_sender(void *arg)
{
    unsigned target = (unsigned)(uintptr_t)arg;
    for (unsigned i = 0; i < AC_NMI_SENDS && !READ_ONCE(nmi_sender_stop); i++) {
        nmi_send(target, NMI_REQ_COUNT);
        udelay(AC_NMI_GAP_US);
    }
}

static unsigned other_online_cpu(void)
{
    for (unsigned c = 0; c < ncpus_possible; c++)
        if (c != cpu_id() && cpu_online(c))
            return c;
    return MAX_CPUS;
}

KTEST(user_entry_clears_ac)
{
    unsigned sender = other_online_cpu();
    bool irq = irq_set_handler(VEC_IPI_TEST, ac_irq, NULL, "test AC on entry");
    KEXPECTF(irq, "vector %#x is taken", VEC_IPI_TEST);
    for (unsigned p = 0; p < USER_ENTRY_COUNT; p++) {
        if ((p == USER_ENTRY_IRQ && !irq) || (p == USER_ENTRY_NMI && sender == MAX_CPUS)) {
            ktest_log("%s: not checked: %s", entry_names[p],
                      p == USER_ENTRY_NMI ? "no other CPU to send the NMI" : "its vector is taken");
            continue;
        }
        user_entry_forget();
        if (p == USER_ENTRY_NMI) {
            nmi_sender_stop = false;
            KEXPECT(smp_run_in_idle(sender, nmi_sender, (void *)(uintptr_t)cpu_id()) == 0);
        }
        struct user_result r = user_run_test(UT_AC_ENTRY, p, ac_test_call);
        if (p == USER_ENTRY_NMI) {
            nmi_sender_stop = true;
            KEXPECTF(smp_wait_idle_work(sender, AC_SENDER_WAIT_US),
                     "cpu%u did not stop sending NMIs", sender);
        }
        uint64_t f = user_entry_rflags(p);
        KEXPECTF(!r.faulted && r.exit_code == 0, "%s: faulted %d (vector %u), exit 0x%llx",
                 entry_names[p], r.faulted, r.vector, (unsigned long long)r.exit_code);
        KEXPECTF(f, "%s: no entry from ring 3 with AC set was recorded", entry_names[p]);
        if (f)
            KEXPECTF(!(f & RFLAGS_AC),
                     "%s: the handler ran with AC set (RFLAGS %#llx): SMAP was off in it",
                     entry_names[p], (unsigned long long)f);
        if (f && !(f & RFLAGS_AC))
            ktest_log("%s from ring 3 with AC set: the handler ran with RFLAGS %#llx, AC clear",
                      entry_names[p], (unsigned long long)f);
    }
    if (irq)
        irq_clear_handler(VEC_IPI_TEST);
}
