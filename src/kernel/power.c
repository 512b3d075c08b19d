#include "kernel/power.h"

#include "cpu/cpu.h"
#include "kernel/console.h"
#include "kernel/serial.h"

__attribute__((weak)) bool acpi_power_off(void) { return false; }

void qemu_exit(enum qemu_exit_code code)
{
    console_flush();
    outl(QEMU_DEBUG_EXIT_PORT, code);
}

__noreturn void power_off(void)
{
    kprintf("cadre: powering off");
    /* Another CPU may be the printer with lines still buffered (a 255-CPU table, slowly, on a
     * busy host): S5 ends QEMU at once, so the log is made whole first, as qemu_exit does. */
    console_flush();
    if (!acpi_power_off())
        kprintf("cadre: ACPI S5 is not available; using isa-debug-exit");
    qemu_exit(QEMU_EXIT_POWEROFF);
    kprintf("cadre: could not power off (no ACPI S5, no isa-debug-exit): halting");
    halt_forever();
}
