#include "ktest/ktest.h"

#include <stdarg.h>

#include "core/cmdline.h"
#include "core/console.h"
#include "core/power.h"
#include "cpu/percpu.h"
#include "lib/printf.h"
#include "lib/string.h"

extern const struct ktest __ktest_start[], __ktest_end[];

static char selection[CMDLINE_MAX];
static bool failed, skipped;
/* As long as a console line: a reason too long for it would be cut by kprintf anyway, and
 * both say so (run_one, vkprintf). */
static char skip_reason[CONSOLE_LINE_MAX];
static size_t skip_reason_len; /* what vsnprintf wanted, to say so when it did not fit */

static const char *param_test(const char *v)
{
    if (!v || !*v)
        return "expected test=all, test=NAME[,NAME...] or test=fault:NAME";
    strlcpy(selection, v, sizeof selection);
    return NULL;
}
KERNEL_PARAM("test", param_test,
             "all|NAME[,NAME...]|PREFIX*|fault:NAME[@CPU]: run in-kernel tests (KTAP)");

const char *ktest_selection(void) { return selection[0] ? selection : NULL; }

void ktest_expect(bool ok, const char *file, int line, const char *fmt, ...)
{
    if (ok)
        return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    kprintf("# %s:%d: expectation failed: %s", file, line, msg);
    failed = true;
}

void ktest_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(skip_reason, sizeof skip_reason, fmt, ap);
    va_end(ap);
    skip_reason_len = n > 0 ? (size_t)n : 0;
    skipped = true;
}

void ktest_log(const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    kprintf("# %s", msg);
}

static const struct ktest *find(const char *name, size_t len)
{
    for (const struct ktest *t = __ktest_start; t < __ktest_end; t++)
        if (strlen(t->name) == len && !strncmp(t->name, name, len))
            return t;
    return NULL;
}

/* Calls fn(name, len, test-or-NULL) for each selected name, in order. */
static unsigned for_each_selected(void (*fn)(const char *, size_t, const struct ktest *,
                                             unsigned *),
                                  unsigned *state)
{
    unsigned n = 0;
    if (!strcmp(selection, "all")) {
        for (const struct ktest *t = __ktest_start; t < __ktest_end; t++, n++)
            if (fn)
                fn(t->name, strlen(t->name), t, state);
        return n;
    }
    for (const char *s = selection; *s;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (len && s[len - 1] == '*') {
            /* NAME*: every test whose name starts with NAME */
            for (const struct ktest *t = __ktest_start; t < __ktest_end; t++) {
                if (!strncmp(t->name, s, len - 1)) {
                    if (fn)
                        fn(t->name, strlen(t->name), t, state);
                    n++;
                }
            }
        } else if (len) {
            if (fn)
                fn(s, len, find(s, len), state);
            n++;
        }
        s += len + (comma ? 1 : 0);
    }
    return n;
}

static void run_one(const char *name, size_t len, const struct ktest *t, unsigned *state)
{
    unsigned number = ++state[0];
    failed = skipped = false;
    cpu_touch_watchdog(); /* each test has the soft-lockup threshold to itself */
    if (!t) {
        kprintf("not ok %u %.*s # no such test", number, (int)len, name);
        state[1]++;
        return;
    }
    t->fn();
    if (failed) {
        kprintf("not ok %u %s", number, t->name);
        state[1]++;
    } else if (skipped) {
        if (skip_reason_len >= sizeof skip_reason)
            kprintf("# %s: skip reason of %zu characters cut at %zu", t->name, skip_reason_len,
                    sizeof skip_reason - 1);
        kprintf("ok %u %s # SKIP %s", number, t->name, skip_reason);
    } else {
        kprintf("ok %u %s", number, t->name);
    }
}

unsigned ktest_run(const char *sel)
{
    strlcpy(selection, sel, sizeof selection);
    unsigned state[2] = { 0, 0 }; /* tests run, tests failed */
    unsigned total = for_each_selected(NULL, NULL);
    kprintf("KTAP version 1");
    kprintf("1..%u", total);
    for_each_selected(run_one, state);
    kprintf("# cadre tests: %u run, %u failed", state[0], state[1]);
    return state[1];
}

__noreturn void ktest_run_and_exit(void)
{
    if (!strncmp(selection, "fault:", 6)) {
        if (fault_raise(selection + 6)) {
            qemu_exit(QEMU_EXIT_PASS);
        } else {
            kprintf("test: fault:%s did not end the kernel", selection + 6);
            qemu_exit(QEMU_EXIT_FAIL);
        }
        power_off();
    }
    char sel[CMDLINE_MAX];
    strlcpy(sel, selection, sizeof sel);
    unsigned failed = ktest_run(sel);
    qemu_exit(failed ? QEMU_EXIT_FAIL : QEMU_EXIT_PASS);
    power_off();
}
