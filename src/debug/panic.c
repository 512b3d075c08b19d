#include "debug/panic.h"

#include <stdarg.h>

#include "core/cmdline.h"
#include "core/console.h"
#include "core/power.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "debug/backtrace.h"
#include "debug/ksyms.h"
#include "debug/regs_dump.h"
#include "debug/stacks.h"
#include "lib/printf.h"
#include "lib/string.h"

#define NO_CPU (-1)

static int panic_cpu = NO_CPU;
static void (*stop_others)(void); /* nmi_init registers it */

void panic_register_stop_others(void (*stop)(void)) { stop_others = stop; }
static bool panic_exit = true; /* panic=exit (default) or panic=halt */

static const char *param_panic(const char *v)
{
    if (v && !strcmp(v, "exit"))
        panic_exit = true;
    else if (v && !strcmp(v, "halt"))
        panic_exit = false;
    else
        return "expected panic=exit or panic=halt";
    return NULL;
}
KERNEL_PARAM("panic", param_panic, "exit|halt: after a panic report, exit QEMU (default) or halt");

bool panic_in_progress(void) { return READ_ONCE(panic_cpu) != NO_CPU; }

static __noreturn void panic_leave(void)
{
    console_flush();
    if (panic_exit) {
        qemu_exit(QEMU_EXIT_PANIC);
        power_off_registered(); /* no isa-debug-exit (bochs, hardware): off is the nearest to exit
                                 */
    }
    halt_forever();
}

/* Claims the panic for this CPU, from any context (thread, IRQ, NMI, interrupts off).  A
 * second panic on another CPU halts that CPU (its line is counted, not printed: the console is
 * the first one's); a second panic on the same CPU (a fault inside the report) says so and ends
 * the run as the first would have: one report, complete, is worth more than two interleaved
 * ones. */
static void panic_begin(const char *what)
{
    irq_disable();
    int me = (int)cpu_id();
    int expected = NO_CPU;
    if (!__atomic_compare_exchange_n(&panic_cpu, &expected, me, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST)) {
        if (expected != me) {
            kprintf("PANIC: cpu%d: %s while cpu%d panics; stopping", me, what, expected);
            halt_forever();
        }
        kprintf("PANIC: cpu%d: %s while printing a panic report; the report ends here", me, what);
        panic_leave();
    }
    this_cpu_write(in_panic, 1);
    /* The console first: the other CPUs' text stops here, whatever they hold.  Then stop them,
     * so that the report is the last thing on the console and nothing runs on after it. */
    console_panic_enter();
    if (stop_others)
        stop_others();
    else
        kprintf("panic: cpu%d: nothing to stop the other cpus with yet (before nmi_init)", me);
}

static __noreturn void panic_end(void)
{
    uint64_t quiet = console_panic_suppressed();
    if (quiet)
        kprintf("panic: %llu bytes that other cpus printed after the panic began were not printed",
                (unsigned long long)quiet);
    kprintf("PANIC: cpu%u: end of report; %s", cpu_id(),
            panic_exit ? "leaving QEMU through isa-debug-exit" : "halting (panic=halt)");
    panic_leave();
}

__noreturn void panic(const char *fmt, ...)
{
    char reason[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    panic_begin(reason);
    kprintf("PANIC: cpu%u: %s", cpu_id(), reason);
    /* #0 is panic()'s caller; the walk starts at the caller's frame, whose address our own
     * frame saved. */
    backtrace_print_from_return((uintptr_t)__builtin_return_address(0),
                                *(const uintptr_t *)__builtin_frame_address(0));
    panic_end();
}

static void print_stack_of(const char *label, uintptr_t sp)
{
    struct stack_info st;
    if (stack_find(sp, &st))
        kprintf("  %s on the %s stack of cpu%d [%016lx-%016lx]", label, st.name, st.cpu,
                (unsigned long)st.lo, (unsigned long)st.hi);
    else if (stack_find_guard(sp, &st))
        kprintf("  %s with rsp %016lx in the guard page below the %s stack of cpu%d", label,
                (unsigned long)sp, st.name, st.cpu);
    else
        kprintf("  %s on no known stack (rsp %016lx)", label, (unsigned long)sp);
}

__noreturn void panic_regs(const struct regs *r, const char *reason)
{
    panic_begin(reason);
    char sym[96];
    unsigned cpu = cpu_id();
    ksym_format(r->rip, sym, sizeof sym);
    kprintf("PANIC: cpu%u: %s", cpu, reason);
    kprintf("  RIP %04lx:%016lx <%s>  RFLAGS %016lx", (unsigned long)r->cs, (unsigned long)r->rip,
            sym, (unsigned long)r->rflags);
    kprintf("  RSP %04lx:%016lx  vector %lu  error code 0x%lx", (unsigned long)r->ss,
            (unsigned long)r->rsp, (unsigned long)r->vector, (unsigned long)r->error_code);
    regs_print_general(r);
    kprintf("  CR0 %016lx CR2 %016lx CR3 %016lx CR4 %016lx", (unsigned long)read_cr0(),
            (unsigned long)read_cr2(), (unsigned long)read_cr3(), (unsigned long)read_cr4());
    print_stack_of("interrupted code ran", r->rsp);
    print_stack_of("the handler ran", read_rsp());
    backtrace_print(r->rip, r->rbp);
    panic_end();
}

/* The compiler calls this when a function's canary at %gs:40 no longer matches on return. */
__noreturn void __stack_chk_fail(void);
__noreturn void __stack_chk_fail(void)
{
    char sym[96];
    ksym_format((uintptr_t)__builtin_return_address(0) - 1, sym, sizeof sym);
    panic("stack protector: canary corrupted (detected in %s)", sym);
}
