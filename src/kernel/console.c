#include "kernel/console.h"

#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "kernel/serial.h"
#include "kernel/time.h"
#include "lib/printf.h"

/* The console is a log buffer plus one printer (docs/serial-log.md, "How lines stay whole").
 *
 * kprintf formats a message, prefix and all, and appends it to the buffer under a short lock:
 * a message is whole lines and goes in as one piece, so lines never interleave.  Then, outside
 * interrupt handlers, it tries to become the printer; if another CPU already prints, that CPU
 * prints this message too and kprintf returns at once.  Inside an interrupt or NMI handler it
 * only appends: the printer may have thousands of lines to write (255 CPUs reporting at once),
 * and a handler must not be held up by that.  What handlers append is printed by the next
 * kprintf outside a handler, or by the idle loop and the waits that call console_flush_pending()
 * (Linux defers printing from NMI context the same way).  No CPU ever waits for the UART of another: with 255 virtual CPUs on
 * two host cores (TCG), CPUs spinning for a console lock would take the host from the one
 * that holds it (Linux's printk works the same way, for the same reason).
 *
 * console_lock() holds a "block" so that several kprintf calls (a panic report, a table) land
 * together; other CPUs' messages wait for the block's end, which comes quickly, since appending
 * does no I/O. */

#define LINE_MAX CONSOLE_LINE_MAX
#define LOG_SIZE (256 * 1024)
#define NO_CPU (-1)
#define PANIC_WAIT_US 500000
#define FLUSH_WAIT_US 2000000

static char logbuf[LOG_SIZE];
static uint64_t head, tail;        /* bytes appended / printed so far; under buf_lock */
static int buf_owner = NO_CPU;     /* CPU appending or taking text (a short hold) */
static int printer = NO_CPU;       /* CPU writing to the UART */
static int block_owner = NO_CPU;   /* CPU holding console_lock() */
static unsigned block_depth;
static bool block_irqs;
static uint64_t dropped;           /* bytes lost to a full buffer */

/* A message starts with LINE_START in the buffer: the printer begins a new line there if raw
 * output (the serial console's prompt and echo) left the cursor mid-line. */
#define LINE_START '\x01'
static bool at_column0 = true;

static void emit(char c)
{
    if (c == LINE_START) {
        if (!at_column0)
            emit('\n');
        return;
    }
    if (c == '\n') {
        serial_putc('\r');
        outb(DEBUGCON_PORT, '\r'); /* the same bytes on both */
    }
    serial_putc(c);
    outb(DEBUGCON_PORT, (uint8_t)c);
    at_column0 = c == '\n';
}

static void emit_str(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        emit(s[i]);
}

void console_init(void) { serial_init(); }

static bool cas(int *p, int old, int new)
{
    return __atomic_compare_exchange_n(p, &old, new, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void backoff_wait(unsigned *backoff)
{
    for (unsigned i = 0; i < *backoff; i++)
        cpu_relax();
    if (*backoff < 1024)
        *backoff <<= 1;
}

/* The buffer lock is held for a memcpy only.  Re-entered on the same CPU (an NMI or exception
 * in the middle of an append) it fails, and the caller writes straight to the UART. */
static bool buf_lock(int me)
{
    unsigned backoff = 1;
    while (!cas(&buf_owner, NO_CPU, me)) {
        if (READ_ONCE(buf_owner) == me)
            return false;
        backoff_wait(&backoff);
    }
    return true;
}

static void buf_unlock(void) { __atomic_store_n(&buf_owner, NO_CPU, __ATOMIC_RELEASE); }

static void append(int me, const char *s, size_t n)
{
    if (!buf_lock(me)) {
        emit_str(s, n);
        return;
    }
    if (head - tail + n > LOG_SIZE) {
        dropped += n;
    } else {
        for (size_t i = 0; i < n; i++)
            logbuf[(head + i) % LOG_SIZE] = s[i];
        head += n;
    }
    buf_unlock();
}

/* Prints everything appended so far if no other CPU is printing.  The check after letting go
 * catches text appended by a CPU that found us printing just as we finished.  Interrupts are
 * off only while a chunk is taken out of the buffer: the printer may write for seconds (255
 * CPUs' lines through emulated port I/O), and its own interrupts and IPIs must not wait. */
static void flush(int me)
{
    char chunk[256];
    for (;;) {
        if (!cas(&printer, NO_CPU, me))
            return;
        for (;;) {
            bool irqs = irq_save();
            if (!buf_lock(me)) {
                irq_restore(irqs);
                break;
            }
            uint64_t lost = dropped;
            dropped = 0;
            size_t n = 0;
            while (tail != head && n < sizeof chunk)
                chunk[n++] = logbuf[tail++ % LOG_SIZE];
            buf_unlock();
            irq_restore(irqs);
            if (lost) {
                char note[64];
                int k = snprintf(note, sizeof note, "(console: %llu bytes lost, buffer full)\n", (unsigned long long)lost);
                emit_str(note, (size_t)k);
            }
            if (!n)
                break;
            emit_str(chunk, n);
        }
        __atomic_store_n(&printer, NO_CPU, __ATOMIC_RELEASE);
        if (__atomic_load_n(&head, __ATOMIC_ACQUIRE) == __atomic_load_n(&tail, __ATOMIC_ACQUIRE))
            return;
    }
}

static void block_enter(int me, bool for_panic)
{
    bool irqs = irq_save();
    if (READ_ONCE(block_owner) == me) {
        block_depth++;
        return;
    }
    uint64_t deadline = for_panic ? time_deadline_us(PANIC_WAIT_US) : 0;
    unsigned backoff = 1;
    while (!cas(&block_owner, NO_CPU, me)) {
        backoff_wait(&backoff);
        if (for_panic && time_after(deadline)) {
            __atomic_store_n(&block_owner, me, __ATOMIC_SEQ_CST);
            break;
        }
    }
    block_depth = 1;
    block_irqs = irqs;
}

static bool in_handler(void) { return this_cpu_read(irq_count) || this_cpu_read(nmi_state); }

static void block_exit(int me)
{
    if (--block_depth)
        return;
    bool irqs = block_irqs;
    __atomic_store_n(&block_owner, NO_CPU, __ATOMIC_RELEASE);
    irq_restore(irqs);
    if (!in_handler())
        flush(me);
}

void console_flush_pending(void)
{
    if (READ_ONCE(head) == READ_ONCE(tail) || READ_ONCE(printer) != NO_CPU || in_handler())
        return;
    flush((int)cpu_id());
}

void console_lock(void) { block_enter((int)cpu_id(), false); }
void console_unlock(void) { block_exit((int)cpu_id()); }

void console_lock_for_panic(void)
{
    int me = (int)cpu_id();
    block_enter(me, true);
    /* The printer may be a CPU that will never run again (stopped, or the one that faulted in
     * the middle of printing): after a bounded wait the panicking CPU prints itself. */
    uint64_t deadline = time_deadline_us(PANIC_WAIT_US);
    while (READ_ONCE(printer) != NO_CPU && READ_ONCE(printer) != me && !time_after(deadline))
        cpu_relax();
    __atomic_store_n(&printer, NO_CPU, __ATOMIC_SEQ_CST);
    if (READ_ONCE(buf_owner) != me)
        __atomic_store_n(&buf_owner, NO_CPU, __ATOMIC_SEQ_CST);
}

/* Waits while the text is still moving: a bound on silence, not on the total, since 70 KB of
 * lines from 255 CPUs can take many seconds of emulated port writes. */
void console_flush(void)
{
    int me = (int)cpu_id();
    uint64_t deadline = time_deadline_us(FLUSH_WAIT_US);
    uint64_t last_tail = READ_ONCE(tail);
    flush(me);
    while ((READ_ONCE(head) != READ_ONCE(tail) || READ_ONCE(printer) != NO_CPU) && !time_after(deadline)) {
        cpu_relax();
        flush(me);
        if (READ_ONCE(tail) != last_tail) {
            last_tail = READ_ONCE(tail);
            deadline = time_deadline_us(FLUSH_WAIT_US);
        }
    }
    serial_drain();
}

static size_t format_prefix(char *buf, size_t size, unsigned cpu)
{
    uint64_t us = time_since_boot_us();
    return (size_t)snprintf(buf, size, "[%05llu.%06llu] cpu%u: ", (unsigned long long)(us / 1000000),
                            (unsigned long long)(us % 1000000), cpu);
}

int vkprintf(const char *fmt, va_list ap)
{
    char text[LINE_MAX];
    char out[LINE_MAX + 256];
    int n = vsnprintf(text, sizeof text, fmt, ap);
    unsigned cpu = cpu_id();
    int me = (int)cpu;

    /* Prefix every line of the message; the result goes to the buffer in one piece. */
    size_t o = 0;
    out[o++] = LINE_START;
    bool line_start = true;
    for (const char *p = text; *p && o + 64 < sizeof out; p++) {
        if (line_start)
            o += format_prefix(out + o, sizeof out - o, cpu);
        out[o++] = *p;
        line_start = *p == '\n';
    }
    if (!line_start)
        out[o++] = '\n';
    if (n >= LINE_MAX && o + 64 < sizeof out) {
        o += format_prefix(out + o, sizeof out - o, cpu);
        o += (size_t)snprintf(out + o, sizeof out - o, "(message cut at %d characters)\n", LINE_MAX);
    }

    bool irqs = irq_save();
    int blocker = READ_ONCE(block_owner);
    if (blocker != me) {
        /* Another CPU's block is being written: wait for its end (it only appends). */
        unsigned backoff = 1;
        while ((blocker = READ_ONCE(block_owner)) != NO_CPU && blocker != me && !panic_console_forced())
            backoff_wait(&backoff);
    }
    append(me, out, o);
    bool print = READ_ONCE(block_owner) != me && !in_handler();
    irq_restore(irqs);
    if (print)
        flush(me);
    return n;
}

void console_write_raw(const char *s, size_t n)
{
    int me = (int)cpu_id();
    bool irqs = irq_save();
    append(me, s, n);
    bool print = READ_ONCE(block_owner) != me && !in_handler();
    irq_restore(irqs);
    if (print)
        flush(me);
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vkprintf(fmt, ap);
    va_end(ap);
    return n;
}
