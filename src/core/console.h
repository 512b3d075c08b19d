/* The console: every registered sink (COM1's UART), mirrored byte for byte to port 0xE9
 * (QEMU -debugcon, bochs).
 *
 * Every line is prefixed "[SSSSS.UUUUUU] cpuN: " (docs/serial-log.md).  A kprintf call prints
 * whole lines: text without a final newline gets one.  Messages go through a log buffer that
 * one CPU at a time prints (console.c says why), so lines from different CPUs never interleave
 * and no CPU waits for another's UART.  console_lock() keeps several calls together (a panic
 * report, a table); it is recursive on one CPU, so an exception that prints while its
 * CPU holds it still gets its lines out. */
#ifndef CADRE_CONSOLE_H
#define CADRE_CONSOLE_H

#include <stdarg.h>

#include "lib/compiler.h"

#define DEBUGCON_PORT 0xe9
/* The longest message kprintf prints whole; a longer one is cut, and a line says so. */
#define CONSOLE_LINE_MAX 512

/* A device the console writes every byte to (Linux's register_console): a driver registers
 * itself once it can take bytes.  putc may wait (bounded) for room; drain waits (bounded) until
 * every byte has left, before QEMU is told to exit.  Text printed before a sink registers
 * does not reach it: kmain registers the UART first. */
struct console_sink {
    const char *name;
    void (*putc)(char c);
    void (*drain)(void);
};
void console_register_sink(const struct console_sink *sink);
int kprintf(const char *fmt, ...) __printf(1, 2);
int vkprintf(const char *fmt, va_list ap);
/* Bytes with no prefix and no added newline, in order with the lines (the serial console's
 * prompt and echo); the next line starts on a new line. */
void console_write_raw(const char *s, size_t n);
void console_lock(void);
void console_unlock(void);
/* For the panic path, on the CPU that panics (docs/console.md): from now on the other CPUs'
 * text is counted and not printed, and this CPU's goes straight to the UART, after what was
 * buffered before.  No lock another CPU holds can block it: each is waited for a bounded time
 * (less if that CPU was stopped), then taken over. */
void console_panic_enter(void);
/* Whether this CPU is the one writing to the UART: a panic's stop NMI then lets it end its
 * line and stop there (percpu stop_deferred), so that no line on the console is cut. */
bool console_printing_here(void);
/* Bytes of other CPUs' text not printed since the panic began. */
uint64_t console_panic_suppressed(void);
/* Prints everything buffered (bounded wait for another CPU that is printing), then drains the
 * UART: before QEMU is told to exit. */
void console_flush(void);
/* Prints what interrupt handlers left in the buffer, unless another CPU is printing; cheap when
 * there is nothing.  For idle loops and waits. */
void console_flush_pending(void);
/* For the tests: whether this CPU holds console_lock(), which CPU does (-1: none), and how many
 * bytes have been lost to a full buffer since boot. */
bool console_lock_held(void);
int console_lock_owner(void);
uint64_t console_dropped_bytes(void);

#endif
