/* Ending the machine: ACPI S5 where the firmware tables allow, else QEMU's isa-debug-exit. */
#ifndef CADRE_POWER_H
#define CADRE_POWER_H

#include "lib/compiler.h"

/* Written to isa-debug-exit (port 0xf4); QEMU exits with status (code << 1) | 1
 * (docs/serial-log.md lists them). */
enum qemu_exit_code {
    QEMU_EXIT_PASS = 0x10,     /* status 33: every test passed */
    QEMU_EXIT_FAIL = 0x11,     /* status 35: a test failed */
    QEMU_EXIT_PANIC = 0x12,    /* status 37: the kernel panicked */
    QEMU_EXIT_POWEROFF = 0x13, /* status 39: poweroff without ACPI S5 */
};

#define QEMU_DEBUG_EXIT_PORT 0xf4

/* Drains the console and asks QEMU to exit; returns where no isa-debug-exit device exists. */
void qemu_exit(enum qemu_exit_code code);
/* The registered way off (ACPI S5), else isa-debug-exit, else a halt; each step says so. */
__noreturn void power_off(void);
/* Tries the registered way off only (after the console is drained); false where there is none
 * or it did not take.  For the panic path where isa-debug-exit is absent. */
bool power_off_registered(void);

/* The firmware's way to turn the machine off: acpi_init registers ACPI S5 (src/acpi/).  `off`
 * returns false where it did not take. */
void power_register_off(const char *name, bool (*off)(void));

#endif
