#include "init/shell.h"

#include "apic/lapic.h"
#include "core/console.h"
#include "core/power.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "debug/panic.h"
#include "dev/pci.h"
#include "dev/serial.h"
#include "irq/irq_table.h"
#include "irq/msi.h"
#include "irq/nmi.h"
#include "irq/route.h"
#include "ktest/bench.h"
#include "ktest/ktest.h"
#include "lib/string.h"
#include "smp/cpu_init.h"
#include "smp/hotplug.h"
#include "smp/smp.h"
#include "smp/smp_call.h"
#include "watchdog/watchdog.h"

#define LINE_LEN 128
#define MAX_ARGS 4
#define PROMPT "cadre> "
#define KEY_BACKSPACE 0x08
#define KEY_DELETE 0x7f
#define KEY_CTRL_U 0x15
#define KEY_ESCAPE 0x1b

struct command {
    const char *name, *args, *help;
    void (*run)(int argc, char **argv);
};

static const struct command commands[];

static bool number(const char *s, unsigned long long max, unsigned long long *out)
{
    return !parse_u64(s, out) && *out <= max;
}

/* A CPU number that is online, or a line saying why not. */
static bool cpu_arg(const char *s, unsigned *cpu)
{
    unsigned long long v;
    if (!number(s, MAX_CPUS - 1, &v) || !cpu_online((unsigned)v)) {
        kprintf("console: '%s' is not an online cpu (0-%u)", s, smp_online_count() - 1);
        return false;
    }
    *cpu = (unsigned)v;
    return true;
}

static void cmd_help(int argc, char **argv);

static void cmd_watchdog(int argc, char **argv)
{
    (void)argc, (void)argv;
    watchdog_print();
}

/* One line back per command, so a script can check that each of its lines ran, in order. */
static void cmd_echo(int argc, char **argv)
{
    char text[LINE_LEN] = "";
    for (int i = 1; i < argc; i++) {
        if (i > 1)
            strlcat(text, " ", sizeof text);
        strlcat(text, argv[i], sizeof text);
    }
    kprintf("echo: %s", text);
}

static void cmd_cpus(int argc, char **argv)
{
    (void)argc, (void)argv;
    console_lock();
    kprintf("cpus: %u online", smp_online_count());
    kprintf("cpus: %4s %5s %-13s %-16s %-16s %-16s %s", "cpu", "apic", "state", "gs base",
            "kernel stack", "irq stack", "NMIs");
    for (unsigned c = 0; c < ncpus_possible; c++) {
        struct percpu *pc = percpu_areas[c];
        kprintf("cpus: %4u %5u %-13s %016lx %016lx %016lx %llu", c, pc->apic_id,
                cpu_state_name(cpu_state(c)), (unsigned long)pc, (unsigned long)pc->kernel_stack.hi,
                (unsigned long)pc->irq_stack.hi, (unsigned long long)pc->nmi_count);
    }
    console_unlock();
}

static void cmd_irqs(int argc, char **argv)
{
    (void)argc, (void)argv;
    irq_table_print();
}

static void cmd_routes(int argc, char **argv)
{
    (void)argc, (void)argv;
    irq_routes_print();
}

/* BB:DD.F or BB:DD.F/N: a device's MSI or MSI-X vector N (0 by default). */
static struct msi_irq *msi_arg(const char *s)
{
    char src[MSI_SOURCE_LEN];
    unsigned long long index = 0;
    strlcpy(src, s, sizeof src);
    char *slash = strchr(src, '/');
    if (slash) {
        *slash = '\0';
        if (!number(slash + 1, PCI_MSIX_MAX_VECTORS - 1, &index))
            return NULL;
    }
    return msi_irq_find(src, (unsigned)index);
}

static void cmd_affinity(int argc, char **argv)
{
    unsigned long long irq;
    unsigned cpu;
    if (argc == 3 && strchr(argv[1], '.')) {
        struct msi_irq *m = msi_arg(argv[1]);
        if (!m) {
            kprintf("console: '%s' is no device's MSI vector (see `msi`)", argv[1]);
            return;
        }
        if (!cpu_arg(argv[2], &cpu))
            return;
        int rc = msi_irq_set_affinity(m, cpu);
        if (rc == -1)
            kprintf(
                "console: cpu%u cannot take an MSI: its APIC ID is above what a message can name",
                cpu);
        else if (!rc)
            msi_irq_print(m);
        return;
    }
    if (argc != 3 || !number(argv[1], 15, &irq)) {
        kprintf("console: usage: affinity IRQ CPU (IRQ 0-15) or affinity BB:DD.F[/N] CPU");
        return;
    }
    if (!cpu_arg(argv[2], &cpu))
        return;
    if (irq_set_affinity((unsigned)irq, cpu))
        kprintf("console: IRQ %llu has no route, or cpu%u cannot take it", irq, cpu);
    else
        kprintf("console: IRQ %llu now goes to cpu%u", irq, cpu);
}

static void cmd_pci(int argc, char **argv)
{
    (void)argc, (void)argv;
    pci_print();
}

static void cmd_msi(int argc, char **argv)
{
    (void)argc, (void)argv;
    console_lock();
    kprintf("msi: %u vectors", msi_nirqs);
    for (unsigned i = 0; i < msi_nirqs; i++) {
        msi_irq_print(&msi_irqs[i]);
        if (msi_irqs[i].index)
            kprintf("msi:   (%s/%u: vector %u of the device, %llu moves)", msi_irqs[i].source,
                    msi_irqs[i].index, msi_irqs[i].index, (unsigned long long)msi_irqs[i].moves);
    }
    console_unlock();
}

static void hello(void *from)
{
    kprintf("ipi: cpu%u ran a call from cpu%u", cpu_id(), (unsigned)(uintptr_t)from);
}

static void cmd_ipi(int argc, char **argv)
{
    unsigned cpu;
    if (argc != 2) {
        kprintf("console: usage: ipi CPU");
        return;
    }
    if (!cpu_arg(argv[1], &cpu))
        return;
    uint64_t t0 = rdtsc();
    int rc = smp_call(cpu, hello, (void *)(uintptr_t)cpu_id(), SMP_CALL_TIMEOUT_US);
    uint64_t ns = tsc_to_ns(rdtsc() - t0);
    if (!rc)
        kprintf("console: call IPI to cpu%u and back in %llu ns", cpu, (unsigned long long)ns);
}

static void cmd_nmi(int argc, char **argv)
{
    unsigned cpu;
    if (argc != 2) {
        kprintf("console: usage: nmi CPU|all");
        return;
    }
    if (!strcmp(argv[1], "all")) {
        for (unsigned c = 0; c < ncpus_possible; c++)
            if (cpu_online(c))
                nmi_send(c, NMI_REQ_REPORT);
        kprintf("console: NMI sent to %u cpus", smp_online_count());
        return;
    }
    if (cpu_arg(argv[1], &cpu)) {
        nmi_send(cpu, NMI_REQ_REPORT);
        kprintf("console: NMI sent to cpu%u", cpu);
    }
}

static void cmd_backtrace(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "all")) {
        kprintf("console: usage: backtrace all");
        return;
    }
    nmi_backtrace_all();
}

static void set_tpr(void *class) { lapic_set_tpr_class((unsigned)(uintptr_t) class); }

static void cmd_tpr(int argc, char **argv)
{
    unsigned cpu;
    unsigned long long class;
    /* Class 15 would hold the call IPI (class 15) that could set it back. */
    if (argc != 3 || !number(argv[2], 14, &class)) {
        kprintf(
            "console: usage: tpr CPU CLASS (CLASS 0-14; 15 would block the IPI that undoes it)");
        return;
    }
    if (!cpu_arg(argv[1], &cpu))
        return;
    if (!smp_call(cpu, set_tpr, (void *)(uintptr_t) class, SMP_CALL_TIMEOUT_US))
        kprintf("console: cpu%u TPR class %llu: interrupts of classes 0-%llu wait", cpu, class,
                class);
}

static void cmd_cpu(int argc, char **argv)
{
    unsigned long long n;
    bool off = argc == 3 && !strcmp(argv[1], "offline");
    bool on = argc == 3 && !strcmp(argv[1], "online");
    if (!off && !on) {
        kprintf("console: usage: cpu offline N | cpu online N");
        return;
    }
    if (!number(argv[2], MAX_CPUS - 1, &n)) {
        kprintf("console: '%s' is not a cpu number (0-%u)", argv[2], ncpus_possible - 1);
        return;
    }
    /* hotplug.c prints the outcome, or why not. */
    if (off)
        cpu_offline((unsigned)n, 0);
    else
        cpu_online_again((unsigned)n, 0);
}

static void cmd_test(int argc, char **argv)
{
    if (argc != 2) {
        kprintf("console: usage: test NAME[,NAME...] (or all, PREFIX*)");
        return;
    }
    ktest_run(argv[1]);
}

static void cmd_bench(int argc, char **argv)
{
    if (argc != 2) {
        kprintf("console: usage: bench NAME[,NAME...] (or all)");
        return;
    }
    kbench_run(argv[1]);
}

static void cmd_panic(int argc, char **argv)
{
    (void)argc, (void)argv;
    panic("console: panic requested");
}

static void cmd_poweroff(int argc, char **argv)
{
    (void)argc, (void)argv;
    power_off();
}

static const struct command commands[] = {
    { "help", "", "this list", cmd_help },
    { "echo", "TEXT", "print TEXT back, as one line", cmd_echo },
    { "cpus", "", "every CPU: APIC ID, state, GS base, stacks", cmd_cpus },
    { "irqs", "", "the interrupt counters, one column per CPU", cmd_irqs },
    { "routes", "", "the I/O APIC routes", cmd_routes },
    { "affinity", "IRQ CPU", "move an ISA IRQ, or an MSI vector (BB:DD.F[/N]), to a CPU",
      cmd_affinity },
    { "pci", "", "every PCI function: IDs, class, BARs, capabilities", cmd_pci },
    { "msi", "", "every MSI and MSI-X vector: vector, class, CPU", cmd_msi },
    { "ipi", "CPU", "run a function on a CPU through the call IPI", cmd_ipi },
    { "nmi", "CPU|all", "send an NMI; each CPU reports it", cmd_nmi },
    { "backtrace", "all", "every CPU prints its registers and backtrace (NMI)", cmd_backtrace },
    { "watchdog", "", "the lockup watchdog: each CPU's ticks, checks and reports", cmd_watchdog },
    { "cpu", "offline N", "take CPU N offline (not 0); `cpu online N` brings it back", cmd_cpu },
    { "tpr", "CPU CLASS", "set a CPU's task priority class (0-14)", cmd_tpr },
    { "test", "NAME", "run in-kernel tests (KTAP)", cmd_test },
    { "bench", "NAME", "run in-kernel benchmarks", cmd_bench },
    { "panic", "", "panic on purpose", cmd_panic },
    { "poweroff", "", "power off (ACPI S5)", cmd_poweroff },
};

static void cmd_help(int argc, char **argv)
{
    (void)argc, (void)argv;
    console_lock();
    kprintf("console: commands:");
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        kprintf("console:   %-9s %-10s %s", commands[i].name, commands[i].args, commands[i].help);
    console_unlock();
}

void shell_execute(const char *text)
{
    char line[LINE_LEN];
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    strlcpy(line, text, sizeof line);
    for (char *p = line; *p;) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (!*p)
            break;
        if (argc == MAX_ARGS + 1) {
            kprintf("console: too many arguments");
            return;
        }
        argv[argc++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
    }
    if (!argc)
        return;
    kprintf("console: > %s", text);
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        if (!strcmp(argv[0], commands[i].name)) {
            commands[i].run(argc, argv);
            return;
        }
    }
    kprintf("console: unknown command '%s'; type 'help'", argv[0]);
}

static bool input_waiting(void) { return serial_peek(); }

__noreturn void shell_run(void)
{
    char line[LINE_LEN];
    size_t len = 0, too_long = 0; /* bytes beyond the line's room: the line is not run */
    bool prompted = false;
    enum {
        PLAIN,
        ESCAPE,
        CSI
    } esc = PLAIN; /* terminal escape sequences (arrow keys) are skipped */
    serial_rx_wake(this_cpu_read(apic_id));
    kprintf("console: ready on COM1; type 'help'");
    for (;;) {
        int c = serial_getc();
        if (c < 0) {
            cpu_idle_once(input_waiting);
            continue;
        }
        if (!prompted) {
            /* The prompt appears once someone types, so boots nobody types at keep clean logs. */
            console_write_raw(PROMPT, sizeof PROMPT - 1);
            prompted = true;
        }
        if (esc == ESCAPE) {
            esc = c == '[' ? CSI : PLAIN;
            continue;
        }
        if (esc == CSI) {
            if (c >= 0x40 && c <= 0x7e) /* the final byte of a CSI sequence (ECMA-48 §5.4) */
                esc = PLAIN;
            continue;
        }
        if (c == KEY_ESCAPE) {
            esc = ESCAPE;
        } else if (c == '\r' || c == '\n') {
            console_write_raw("\n", 1);
            line[len] = '\0';
            if (too_long)
                kprintf("console: line too long (%zu bytes, at most %zu): dropped, not run",
                        len + too_long, sizeof line - 1);
            else
                shell_execute(line);
            len = too_long = 0;
            console_write_raw(PROMPT, sizeof PROMPT - 1);
        } else if (c == KEY_BACKSPACE || c == KEY_DELETE) {
            if (len) {
                len--;
                console_write_raw("\b \b", 3);
            }
        } else if (c == KEY_CTRL_U) {
            for (; len; len--)
                console_write_raw("\b \b", 3);
            too_long = 0;
        } else if (c >= ' ' && c < KEY_DELETE) {
            if (len + 1 < sizeof line) {
                line[len++] = (char)c;
                console_write_raw((const char *)&line[len - 1], 1);
            } else {
                console_write_raw("\a", 1); /* line full: said at its end */
                too_long++;
            }
        }
        /* other control bytes (escape sequences of arrow keys...) are ignored */
    }
}
