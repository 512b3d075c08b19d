/* The console: COM1, mirrored byte for byte to port 0xE9 (QEMU -debugcon, bochs).
 *
 * Every line is prefixed "[SSSSS.UUUUUU] cpuN: " (docs/serial-log.md).  A kprintf call prints
 * whole lines: text without a final newline gets one.  Messages go through a log buffer that
 * one CPU at a time prints (console.c says why), so lines from different CPUs never interleave
 * and no CPU waits for another's UART.  console_lock() keeps several calls together (a panic
 * report, a table); it is recursive on one CPU, so an exception or NMI that prints while its
 * CPU holds it still gets its lines out. */
#ifndef CADRE_CONSOLE_H
#define CADRE_CONSOLE_H

#include <stdarg.h>

#include "lib/compiler.h"

#define DEBUGCON_PORT 0xe9
/* The longest message kprintf prints whole; a longer one is cut, and a line says so. */
#define CONSOLE_LINE_MAX 512

void console_init(void);
int kprintf(const char *fmt, ...) __printf(1, 2);
int vkprintf(const char *fmt, va_list ap);
/* Bytes with no prefix and no added newline, in order with the lines (the serial console's
 * prompt and echo); the next line starts on a new line. */
void console_write_raw(const char *s, size_t n);
void console_lock(void);
void console_unlock(void);
/* For the panic path: wait for the lock a bounded time, then take it from whoever has it. */
void console_lock_for_panic(void);
/* Prints everything buffered (bounded wait for another CPU that is printing), then drains the
 * UART: before QEMU is told to exit. */
void console_flush(void);
/* Prints what interrupt handlers left in the buffer, unless another CPU is printing; cheap when
 * there is nothing.  For idle loops and waits. */
void console_flush_pending(void);
/* True once a panicking CPU has taken the console: other CPUs no longer wait for blocks. */
bool panic_console_forced(void);

#endif
