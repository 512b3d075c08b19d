#include "ktest/bench.h"

#include "core/cmdline.h"
#include "core/console.h"
#include "core/power.h"
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
KERNEL_PARAM("bench", param_bench, "all|NAME[,NAME...]: run in-kernel benchmarks, print figures, exit");

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
