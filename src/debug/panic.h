/* Fatal errors.  A report starts with "PANIC: cpuN: <reason>" (docs/serial-log.md), shows the
 * registers and a symbolised backtrace, and ends the kernel: by default QEMU is told to exit
 * through isa-debug-exit with status QEMU_EXIT_PANIC (a no-op where that device is absent),
 * and, where that device is absent (bochs, hardware), ACPI S5 turns the machine off; `panic=halt`
 * only halts, for looking at the machine in gdb. */
#ifndef CADRE_PANIC_H
#define CADRE_PANIC_H

#include "cpu/regs.h"
#include "lib/compiler.h"

__noreturn void panic(const char *fmt, ...) __printf(1, 2);
/* The report for a fatal exception or interrupt; `reason` follows "PANIC: cpuN: ". */
__noreturn void panic_regs(const struct regs *r, const char *reason);

/* How the panic path stops the other CPUs before its report: the NMI code registers its stop
 * (src/irq/nmi.c, nmi_init). */
void panic_register_stop_others(void (*stop)(void));

/* For the report's first line: 0 when no CPU has panicked. */
bool panic_in_progress(void);

#endif
