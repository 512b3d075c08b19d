#include "irq/nmi.h"

#include "apic/ipi.h"
#include "core/console.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "debug/backtrace.h"
#include "debug/ksyms.h"
#include "debug/panic.h"
#include "debug/regs_dump.h"
#include "debug/stacks.h"
#include "lib/printf.h"
#include "user/user.h"

/* System control port B (port 0x61): why the chipset raised an external NMI (PC/AT; Linux's
 * NMI_REASON_PORT). */
#define NMI_REASON_PORT 0x61
#define NMI_REASON_SERR 0x80  /* PCI SERR# (system error) */
#define NMI_REASON_IOCHK 0x40 /* ISA IOCHK# (I/O channel check) */
#define BACKTRACE_WAIT_US 1000000
#define STOP_WAIT_US 200000
#define NESTED_TEST_WAIT_US 100000

static volatile unsigned backtraces_done;

static void print_regs_and_backtrace(const struct regs *r)
{
    char sym[96], stack[96];
    ksym_format(r->rip, sym, sizeof sym);
    stack_describe(r->rsp, stack, sizeof stack);
    console_lock();
    kprintf("nmi: backtrace of cpu%u (apic %u), interrupted at %016lx <%s> on %s", cpu_id(),
            this_cpu_read(apic_id), (unsigned long)r->rip, sym, stack);
    kprintf("  RSP %016lx RFLAGS %016lx", (unsigned long)r->rsp, (unsigned long)r->rflags);
    regs_print_general(r);
    backtrace_print(r->rip, r->rbp);
    console_unlock();
}

static void external(struct percpu *pc, const struct regs *r)
{
    char stack[96];
    stack_describe(read_rsp(), stack, sizeof stack);
    uint8_t reason = inb(NMI_REASON_PORT);
    kprintf("nmi: cpu%u took NMI %llu on %s: external (port 0x61 0x%02x: %s%s%s); interrupted ring "
            "%u, GS %s",
            cpu_id(), (unsigned long long)pc->nmi_count, stack, reason,
            reason & NMI_REASON_SERR ? "SERR, system error " : "",
            reason & NMI_REASON_IOCHK ? "IOCHK, I/O channel check " : "",
            reason & (NMI_REASON_SERR | NMI_REASON_IOCHK)
                ? ""
                : "no SERR/IOCHK: LINT1, e.g. the host's inject-nmi",
            (unsigned)(r->cs & SEL_RPL_MASK), rdmsr(MSR_GS_BASE) == (uintptr_t)pc ? "ok" : "WRONG");
}

/* Test: a #BP inside the handler (its IRET unblocks NMIs), then a second NMI to this CPU, which
 * the entry must latch and run after this one, not inside it. */
static void nested_test(void)
{
    __asm__ volatile("int3");
    nmi_send(cpu_id(), NMI_REQ_COUNT);
    udelay(NESTED_TEST_WAIT_US);
}

static bool (*watchdog_hook)(struct regs *r);

void nmi_register_watchdog_hook(bool (*hook)(struct regs *r))
{
    __atomic_store_n(&watchdog_hook, hook, __ATOMIC_RELEASE);
}

/* Called by the NMI entry before it runs the handler again for a latched NMI. */
void nmi_repeat_noted(struct regs *r);
void nmi_repeat_noted(struct regs *r)
{
    (void)r;
    this_cpu()->nmi_repeats++;
}

void nmi_dispatch(struct regs *r)
{
    struct percpu *pc = this_cpu();
    user_entry_note(USER_ENTRY_NMI, r); /* the tests' record of RFLAGS on entry from ring 3 */
    pc->nmi_count++;
    pc->last_nmi_rsp = read_rsp();
    uint32_t req = __atomic_exchange_n(&pc->nmi_requests, 0, __ATOMIC_ACQ_REL);
    /* Counted requests: each NMI sent with NMI_REQ_COUNT takes one (a bit would be cleared by
     * the first of two NMIs and make the second look external). */
    uint32_t counted = __atomic_load_n(&pc->nmi_count_requests, __ATOMIC_ACQUIRE);
    while (counted && !__atomic_compare_exchange_n(&pc->nmi_count_requests, &counted, counted - 1,
                                                   false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        ;
    if (req & NMI_REQ_STOP) {
        /* The console's printer may be in the middle of a line: it finishes the line and stops
         * itself there (console.c), so that the panic report starts on a whole line. */
        if (console_printing_here()) {
            __atomic_store_n(&pc->stop_deferred, 1, __ATOMIC_RELEASE);
            return;
        }
        __atomic_store_n(&pc->nmi_stopped, 1, __ATOMIC_RELEASE);
        /* Never return: NMIs stay blocked without an IRET, so this CPU is still for good. */
        for (;;)
            __asm__ volatile("cli; hlt");
    }
    bool (*hook)(struct regs *) = __atomic_load_n(&watchdog_hook, __ATOMIC_ACQUIRE);
    bool watchdog = hook && hook(r);
    if (req & NMI_REQ_BACKTRACE) {
        print_regs_and_backtrace(r);
        __atomic_fetch_add(&pc->nmi_backtraces, 1, __ATOMIC_RELEASE);
        __atomic_fetch_add(&backtraces_done, 1, __ATOMIC_RELEASE);
    }
    if (req & NMI_REQ_TEST_NESTED)
        nested_test();
    if (req & NMI_REQ_REPORT) {
        char stack[96];
        stack_describe(read_rsp(), stack, sizeof stack);
        kprintf("nmi: cpu%u took NMI %llu on %s: sent on request", cpu_id(),
                (unsigned long long)pc->nmi_count, stack);
    }
    if (req & NMI_REQ_TEST_CONSOLE) {
        console_lock();
        kprintf("nmi: cpu%u took console test NMI %llu", cpu_id(),
                (unsigned long long)pc->nmi_count);
        console_unlock();
    }
    if (req & NMI_REQ_TEST_PANIC)
        panic_regs(r, "nmi: panic requested in NMI context (test)");
    if (!req && !counted && !watchdog)
        external(pc, r);
    /* An NMI handler runs with IF=0 (an interrupt gate) and must leave that way: whatever it
     * called may not have enabled interrupts (docs/console.md).  The tests read the count. */
    if (irqs_enabled()) {
        irq_disable();
        if (!pc->nmi_if_on++)
            kprintf("nmi: warning: cpu%u: interrupts were on at the end of its NMI handler",
                    cpu_id());
    }
}

int nmi_send(unsigned cpu, enum nmi_request req)
{
    if (!cpu_online(cpu)) {
        kprintf("nmi: warning: cpu%u: NMI to cpu%u not sent: it is not online", cpu_id(), cpu);
        return -1;
    }
    if (req & NMI_REQ_COUNT)
        __atomic_fetch_add(&per_cpu(cpu, nmi_count_requests), 1, __ATOMIC_RELEASE);
    if (req & ~NMI_REQ_COUNT)
        __atomic_fetch_or(&per_cpu(cpu, nmi_requests), req & ~NMI_REQ_COUNT, __ATOMIC_RELEASE);
    return ipi_nmi(per_cpu(cpu, apic_id));
}

int nmi_broadcast(enum nmi_request req)
{
    unsigned me = cpu_id();
    bool shorthand = ipi_shorthands_allowed();
    int rc = 0;
    for (unsigned c = 0; c < ncpus_possible; c++) {
        if (c == me || !cpu_online(c))
            continue;
        if (!shorthand) {
            rc |= nmi_send(c, req);
            continue;
        }
        if (req & NMI_REQ_COUNT)
            __atomic_fetch_add(&per_cpu(c, nmi_count_requests), 1, __ATOMIC_RELEASE);
        if (req & ~NMI_REQ_COUNT)
            __atomic_fetch_or(&per_cpu(c, nmi_requests), req & ~NMI_REQ_COUNT, __ATOMIC_RELEASE);
    }
    return shorthand ? ipi_nmi_all_but_self() : rc;
}

unsigned nmi_backtrace_all(void)
{
    unsigned me = cpu_id(), sent = 0;
    backtraces_done = 0;
    for (unsigned c = 0; c < ncpus_possible; c++) {
        if (c != me && cpu_online(c)) {
            nmi_send(c, NMI_REQ_BACKTRACE);
            sent++;
        }
    }
    uint64_t deadline = time_deadline_us(BACKTRACE_WAIT_US);
    while (READ_ONCE(backtraces_done) < sent && !time_after(deadline)) {
        console_flush_pending();
        cpu_relax();
    }
    unsigned done = READ_ONCE(backtraces_done);
    console_lock();
    kprintf("nmi: backtrace of cpu%u (the requester)", me);
    backtrace_print((uintptr_t)__builtin_return_address(0),
                    *(const uintptr_t *)__builtin_frame_address(0));
    if (done < sent)
        kprintf("nmi: warning: %u of %u cpus did not answer the backtrace NMI within %u ms",
                sent - done, sent, BACKTRACE_WAIT_US / 1000);
    kprintf("nmi: all-cpu backtrace: %u of %u other cpus answered", done, sent);
    console_unlock();
    return done;
}

void nmi_init(void) { panic_register_stop_others(nmi_stop_others); }

void nmi_stop_others(void)
{
    unsigned me = cpu_id(), sent = 0, stopped = 0;
    for (unsigned c = 0; c < ncpus_possible; c++) {
        if (c != me && cpu_online(c)) {
            nmi_send(c, NMI_REQ_STOP);
            sent++;
        }
    }
    uint64_t deadline = time_deadline_us(STOP_WAIT_US);
    do {
        stopped = 0;
        for (unsigned c = 0; c < ncpus_possible; c++)
            if (c != me && cpu_online(c) && READ_ONCE(per_cpu(c, nmi_stopped)))
                stopped++;
    } while (stopped < sent && !time_after(deadline));
    kprintf("panic: cpu%u stopped %u of %u other cpus with an NMI", me, stopped, sent);
    /* The others are not running kernel code that could print or touch anything: offline ones
     * wait for a SIPI, one coming up stops itself when it sees the panic (ap_main), one going
     * offline parks from its idle loop.  Named so that a reader does not count them lost. */
    unsigned off = 0, other = 0;
    for (unsigned c = 0; c < ncpus_possible; c++) {
        unsigned s = cpu_state(c);
        off += s == CPU_OFFLINE;
        other += c != me && s != CPU_ONLINE && s != CPU_OFFLINE;
    }
    if (off || other)
        kprintf("panic: not sent: %u offline cpus (parked by INIT), %u starting, going offline or "
                "failed",
                off, other);
}
