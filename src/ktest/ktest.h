/* In-kernel tests, chosen with test=all or test=name1,name2 and reported as KTAP version 1
 * (docs/testing.md).  A test is a function declared with KTEST(name) anywhere in the kernel;
 * KEXPECT records a failed expectation and lets the test go on. */
#ifndef CADRE_KTEST_H
#define CADRE_KTEST_H

#include "lib/compiler.h"

struct ktest {
    const char *name;
    void (*fn)(void);
};

#define KTEST(n)                                                   \
    static void ktest_fn_##n(void);                                \
    static const struct ktest ktest_##n __used __section(".ktest") \
        __aligned(8) = { #n, ktest_fn_##n };                       \
    static void ktest_fn_##n(void)

#define KEXPECT(cond) ktest_expect(!!(cond), __FILE__, __LINE__, "%s", #cond)
#define KEXPECTF(cond, ...) ktest_expect(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* Records a failure (with the message as a KTAP diagnostic) when ok is false. */
void ktest_expect(bool ok, const char *file, int line, const char *fmt, ...) __printf(4, 5);
/* Marks the running test skipped, with the reason printed in its result line. */
void ktest_skip(const char *fmt, ...) __printf(1, 2);
/* A diagnostic line ("# ...") inside the running test. */
void ktest_log(const char *fmt, ...) __printf(1, 2);

/* The selection from test=, or NULL. */
const char *ktest_selection(void);
/* Runs a selection (as test= takes it) and prints KTAP; returns how many failed. */
unsigned ktest_run(const char *selection);
/* Runs the selection, prints KTAP and ends QEMU with QEMU_EXIT_PASS or QEMU_EXIT_FAIL. */
__noreturn void ktest_run_and_exit(void);

/* Deliberate faults (test=fault:NAME), src/ktest/faults.c: raises the named exception.
 * Returns true when a recoverable one (#BP, #DB) was handled; false (after a warning) for an
 * unknown name or when a fatal fault did not end the kernel. */
bool fault_raise(const char *name);

#endif
