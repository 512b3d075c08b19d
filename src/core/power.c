#include "core/power.h"

#include "core/console.h"
#include "cpu/cpu.h"

static bool (*off_method)(void);
static const char *off_name;

void power_register_off(const char *name, bool (*off)(void))
{
    off_name = name;
    off_method = off;
}

bool power_off_registered(void)
{
    if (!off_method)
        return false;
    console_flush(); /* another CPU may be printing: what is buffered must be out first */
    return off_method();
}

void qemu_exit(enum qemu_exit_code code)
{
    console_flush();
    outl(QEMU_DEBUG_EXIT_PORT, code);
}

__noreturn void power_off(void)
{
    kprintf("cadre: powering off");
    if (!power_off_registered())
        kprintf("cadre: %s is not available; using isa-debug-exit",
                off_name ? off_name : "ACPI S5");
    qemu_exit(QEMU_EXIT_POWEROFF);
    kprintf("cadre: could not power off (no ACPI S5, no isa-debug-exit): halting");
    halt_forever();
}
