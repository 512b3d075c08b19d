#include "ktest/bench.h"

#include "apic/lapic.h"
#include "core/cmdline.h"
#include "core/console.h"
#include "core/power.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "lib/string.h"

extern const struct kbench __kbench_start[], __kbench_end[];

static char selection[CMDLINE_MAX];

static const char *param_bench(const char *v)
{
    if (!v || !*v)
        return "expected bench=all or bench=NAME[,NAME...]";
    strlcpy(selection, v, sizeof selection);
    return NULL;
}
KERNEL_PARAM("bench", param_bench,
             "all|NAME[,NAME...]: run in-kernel benchmarks, print figures, exit");

const char *kbench_selection(void) { return selection[0] ? selection : NULL; }

static bool selected(const char *name)
{
    if (!strcmp(selection, "all"))
        return true;
    size_t len = strlen(name);
    for (const char *s = selection; s; s = strchr(s, ',') ? strchr(s, ',') + 1 : NULL)
        if (!strncmp(s, name, len) && (s[len] == ',' || s[len] == '\0'))
            return true;
    return false;
}

unsigned kbench_run(const char *sel)
{
    strlcpy(selection, sel, sizeof selection);
    unsigned ran = 0;
    for (const struct kbench *b = __kbench_start; b < __kbench_end; b++) {
        if (!selected(b->name))
            continue;
        kprintf("bench: %s: start", b->name);
        b->fn();
        ran++;
    }
    if (!ran)
        kprintf("bench: warning: no benchmark matches '%s'", selection);
    kprintf("bench: done (%u run)", ran);
    return ran;
}

__noreturn void kbench_run_and_exit(void)
{
    char sel[CMDLINE_MAX];
    strlcpy(sel, selection, sizeof sel);
    kbench_run(sel);
    qemu_exit(QEMU_EXIT_PASS);
    power_off();
}

/* ---- helpers the benchmarks share --------------------------------------------------------- */

/* LFENCE before RDTSC: the read waits for every earlier instruction (SDM vol. 2B, RDTSC). */
uint64_t bench_tsc_now(void)
{
    __asm__ volatile("lfence" ::: "memory");
    return rdtsc();
}

/* Insertion sort: the arrays hold at most a few hundred figures. */
static void sort_u64(uint64_t *a, unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        uint64_t v = a[i];
        unsigned j = i;
        for (; j > 0 && a[j - 1] > v; j--)
            a[j] = a[j - 1];
        a[j] = v;
    }
}

/* The nearest-rank percentile of a sorted array: the smallest figure with at least pct% of the
 * figures at or below it (p50 of 200 is the 100th, p99 the 198th). */
static uint64_t percentile(const uint64_t *sorted, unsigned n, unsigned pct)
{
    unsigned rank = (pct * n + 99) / 100;
    return n ? sorted[rank ? rank - 1 : 0] : 0;
}

struct bench_figures bench_summarise(uint64_t *cycles, unsigned n)
{
    sort_u64(cycles, n);
    return (struct bench_figures){ percentile(cycles, n, 50), percentile(cycles, n, 99) };
}

/* "TCGTCGTCGTCG", "KVMKVMKVM", ... from CPUID 0x40000000, or "none" on bare metal. */
static const char *hypervisor(void)
{
    static char name[13];
    if (!(cpuid(1, 0).ecx & (1u << 31)))
        return "none";
    struct cpuid_regs r = cpuid(0x40000000, 0);
    uint32_t words[3] = { r.ebx, r.ecx, r.edx };
    for (unsigned i = 0; i < 12; i++) {
        char c = (char)(words[i / 4] >> (8 * (i % 4)));
        name[i] = c >= 0x21 && c <= 0x7e ? c : '\0';
    }
    return name[0] ? name : "unknown";
}

void bench_context(const char *bench, const char *what)
{
    kprintf("bench: %s: %s; %s, tsc %llu.%03llu MHz, hypervisor %s", bench, what, lapic_mode_name(),
            (unsigned long long)(tsc_khz() / 1000), (unsigned long long)(tsc_khz() % 1000),
            hypervisor());
}
