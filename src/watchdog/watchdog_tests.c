/* In-kernel tests of the lockup watchdog (docs/watchdog.md) that need no fault injection. */
#include "core/console.h"
#include "core/time.h"
#include "cpu/percpu.h"
#include "ktest/ktest.h"
#include "watchdog/watchdog.h"

/* A console sink as slow as a framebuffer under this machine's KVM (every store traps): while
 * `slow`, each byte costs SLOW_BYTE_US. */
#define SLOW_BYTE_US 100
#define SLOW_LINES 120 /* about 11 KB: one flush (under its 16 KB budget) of about 1.1 s */
static volatile bool slow;
static void slow_putc(char c)
{
    (void)c;
    if (READ_ONCE(slow))
        udelay(SLOW_BYTE_US);
}
static const struct console_sink slow_sink = { .name = "slow (test)", .putc = slow_putc };

static uint64_t soft_reports_all(void)
{
    uint64_t n = 0;
    for (unsigned c = 0; c < ncpus_possible; c++)
        n += watchdog_soft_reports(c);
    return n;
}

/* A CPU that prints a long block through a slow console makes progress with each line: the
 * soft-lockup check must not take it for a CPU stuck with interrupts on (failed once under KVM:
 * the BSP printing cpu3's report to the screen for over 3 s was itself reported). */
KTEST(watchdog_slow_console_is_not_a_soft_lockup)
{
    unsigned soft = watchdog_soft_ms();
    if (!watchdog_running() || !soft || soft * 2 > SLOW_LINES * 90 * SLOW_BYTE_US / 1000) {
        ktest_skip("needs the watchdog with watchdog.soft_ms=%u or less (it is %u)",
                   SLOW_LINES * 90 * SLOW_BYTE_US / 1000 / 2, soft);
        return;
    }
    static bool registered;
    if (!registered) {
        console_register_sink(&slow_sink);
        registered = true;
    }
    uint64_t before = soft_reports_all();
    uint64_t t0 = time_since_boot_us();
    WRITE_ONCE(slow, true);
    console_lock(); /* one block: printed in one flush, by whichever CPU prints */
    for (unsigned i = 0; i < SLOW_LINES; i++)
        kprintf("# slow console line %3u of %u: the printer makes progress with every line", i + 1,
                SLOW_LINES);
    console_unlock();
    console_flush();
    WRITE_ONCE(slow, false);
    uint64_t took = time_since_boot_us() - t0;
    kprintf("# %u lines in %llu ms, against a soft-lockup threshold of %u ms", SLOW_LINES,
            (unsigned long long)(took / 1000), soft);
    KEXPECTF(took / 1000 > soft, "the printing (%llu ms) did not outlast watchdog.soft_ms=%u",
             (unsigned long long)(took / 1000), soft);
    uint64_t after = soft_reports_all();
    KEXPECTF(after == before, "%llu soft lockup report(s) while the console printed",
             (unsigned long long)(after - before));
}
