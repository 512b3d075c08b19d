/* kmain: the BSP's path from the boot stub to "ready". */
#include "acpi/acpi_boot.h"
#include "apic/lapic.h"
#include "boot/bootinfo.h"
#include "core/cmdline.h"
#include "core/console.h"
#include "core/power.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "dev/fb.h"
#include "dev/fwcfg.h"
#include "dev/hpet.h"
#include "dev/serial.h"
#include "init/devices.h"
#include "init/shell.h"
#include "irq/idt.h"
#include "irq/irq.h"
#include "irq/irq_table.h"
#include "irq/nmi.h"
#include "irq/pic.h"
#include "ktest/bench.h"
#include "ktest/ktest.h"
#include "lib/string.h"
#include "mm/paging.h"
#include "mm/pmm.h"
#include "smp/cpu_areas.h"
#include "smp/cpu_init.h"
#include "smp/smp.h"
#include "smp/smp_call.h"
#include "time/calibrate.h"
#include "watchdog/watchdog.h"

#define FWCFG_CMDLINE "opt/cadre/cmdline"

static bool poweroff_when_ready;

static const char *param_poweroff(const char *v)
{
    if (v)
        return "takes no value";
    poweroff_when_ready = true;
    return NULL;
}
KERNEL_PARAM("poweroff", param_poweroff,
             "power off once the kernel is ready (ACPI S5, else isa-debug-exit)");

static char cmdline[CMDLINE_MAX];

/* GRUB's command line, then fw_cfg's opt/cadre/cmdline appended: options given later win. */
static void cmdline_init(void)
{
    char extra[CMDLINE_MAX];
    char shown[4 * CMDLINE_MAX]; /* each byte may become \xNN */
    strlcpy(cmdline, boot_info.cmdline, sizeof cmdline);
    long n = fwcfg_read_file(FWCFG_CMDLINE, extra, sizeof extra);
    if (n > 0) {
        if (strlcat(cmdline, " ", sizeof cmdline) >= sizeof cmdline ||
            strlcat(cmdline, extra, sizeof cmdline) >= sizeof cmdline)
            kprintf("cmdline: warning: command line longer than %d bytes; cut", CMDLINE_MAX - 1);
    }
    /* Both come from outside: control bytes in them are shown escaped, never sent raw. */
    str_escape(shown, sizeof shown, boot_info.cmdline);
    kprintf("cmdline: \"%s\"", shown);
    if (n > 0) {
        str_escape(shown, sizeof shown, extra);
        kprintf("cmdline: from fw_cfg %s: \"%s\"", FWCFG_CMDLINE, shown);
        size_t used = strnlen(extra, (size_t)n);
        if (used + 1 < (size_t)n)
            kprintf("cmdline: warning: fw_cfg %s has a NUL at byte %zu: the %zu bytes after it are "
                    "ignored",
                    FWCFG_CMDLINE, used, (size_t)n - used - 1);
    }
    cmdline_apply(cmdline);
}

/* Entered from src/boot/entry.asm on the boot stack, GS on the BSP's per-CPU area.  Its first
 * call loads the early IDT, so that every exception reports from there on.  It sets this
 * CPU's canary, so it must have no stack protector itself, and it never returns. */
__no_stack_protector __noreturn void kmain(uint32_t mb2_phys);
__no_stack_protector __noreturn void kmain(uint32_t mb2_phys)
{
    idt_early_init();
    percpu_canary_init();
    pic_disable(); /* the BIOS left it on vectors 8-15, where exceptions live */
    serial_init(); /* the console's first sink */
    time_init();
    time_stage(STAGE_FIRST_LINE);
    kprintf("cadre: booting on cpu0; tsc %llu.%03llu MHz (%s)",
            (unsigned long long)(tsc_khz() / 1000), (unsigned long long)(tsc_khz() % 1000),
            tsc_source());
    bootinfo_init(mb2_phys);
    cmdline_init();
    pmm_init(&boot_info);
    paging_init();
    fb_init(&boot_info);

    /* Linux's order (trap_init, then cpu_init; linux-insides, interrupts part 4): the early IDT is
     * live; trap_init builds the full one without IST; cpu_init gives this CPU its TSS; only then
     * do the IST gates go in. */
    trap_init();
    percpu_create(0, cpuid(1, 0).ebx >> 24);

    acpi_init();
    if (acpi.has_hpet)
        hpet_init(acpi.hpet_address);
    time_calibrate_begin(acpi.pm_timer.space_id == ACPI_GAS_SYSTEM_IO ? acpi.pm_timer.address : 0,
                         acpi.pm_timer_32bit);
    /* needs no exact rate: the HPET counts on meanwhile */
    lapic_setup(acpi.has_madt || acpi.from_mptable ? acpi.lapic_address : 0);
    time_calibrate_finish();
    irq_init();
    nmi_init();

    cpu_init(&bsp_percpu);
    idt_setup_ist();
    bsp_percpu.state = CPU_ONLINE;
    smp_call_init();
    smp_init();
    time_stage(STAGE_SMP_START); /* where there were no APs to start: both stages are now */
    time_stage(STAGE_APS_ONLINE);
    devices_init();
    watchdog_init();

    irq_enable();
    time_stage(STAGE_READY);
    kprintf("cadre: ready: %u cpus online", smp_online_count());
    time_stages_print();
    if (irq_table_requested())
        irq_table_print();
    if (ktest_selection())
        ktest_run_and_exit();
    if (kbench_selection())
        kbench_run_and_exit();
    if (poweroff_when_ready)
        power_off();
    shell_run();
}
