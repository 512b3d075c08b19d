/* In-kernel benchmarks, chosen with bench=NAME[,NAME...] (or bench=all): each prints its
 * figures as "bench: NAME key=value ..." lines (docs/performance.md), then QEMU is told to exit.
 * Figures are printed, never judged: no benchmark passes or fails. */
#ifndef CADRE_BENCH_H
#define CADRE_BENCH_H

#include "lib/compiler.h"

struct kbench {
    const char *name;
    void (*fn)(void);
};

#define KBENCH(n)                                                     \
    static void kbench_fn_##n(void);                                  \
    static const struct kbench kbench_##n __used __section(".kbench") \
        __aligned(8) = { #n, kbench_fn_##n };                         \
    static void kbench_fn_##n(void)

/* The selection from bench=, or NULL. */
const char *kbench_selection(void);
/* Runs a selection (as bench= takes it); returns how many ran. */
unsigned kbench_run(const char *selection);
/* Runs the selection and ends QEMU (isa-debug-exit, QEMU_EXIT_PASS). */
__noreturn void kbench_run_and_exit(void);

/* Helpers of the benchmarks (kbench_ipi.c, kbench_msi.c) */
/* The TSC after LFENCE: the read waits for every earlier instruction (SDM vol. 2B, RDTSC). */
uint64_t bench_tsc_now(void);
struct bench_figures {
    uint64_t median, p99;
};
/* Sorts `cycles` and gives its nearest-rank median and 99th percentile. */
struct bench_figures bench_summarise(uint64_t *cycles, unsigned n);
/* "bench: NAME: what; xAPIC, tsc ... MHz, hypervisor ...": the context line of a benchmark. */
void bench_context(const char *bench, const char *what);

#endif
