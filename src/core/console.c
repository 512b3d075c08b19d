#include "core/console.h"

#include "core/time.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "cpu/spinlock.h"
#include "lib/printf.h"

/* The console is a log buffer plus one printer (docs/console.md).
 *
 * kprintf formats a message, prefix and all, and appends it to the buffer under a short lock:
 * a message is whole lines and goes in as one piece, so lines never interleave.  Then, outside
 * interrupt handlers, it tries to become the printer; if another CPU already prints, that CPU
 * prints this message too and kprintf returns at once.  Inside an interrupt handler it only
 * appends: the printer may have thousands of lines to write (255 CPUs reporting at once), and
 * a handler must not be held up by that.  What handlers append is printed by the next kprintf
 * outside a handler, or by the idle loop and the waits that call console_flush_pending().  No
 * CPU ever waits for the UART of another: with 255 virtual CPUs on two host cores (TCG), CPUs
 * spinning for a console lock would take the host from the one that holds it (Linux's printk
 * works the same way, for the same reason).
 *
 * Three contexts get paths of their own:
 * - NMI context takes no lock at all.  An NMI can arrive while its CPU holds the buffer lock or
 *   is in the middle of console_lock(); waiting there would deadlock, and sharing the lock's
 *   state would corrupt it.  So each CPU has a small text ring that only its NMI handler writes
 *   (a single producer) and only the holder of the buffer lock empties (a single consumer):
 *   whole messages, or whole console_lock() blocks, are published at once, and the printer
 *   moves them into the log buffer between messages (Linux's printk_safe buffers did this).
 * - A panicking CPU takes the console over (console_panic_enter): the other CPUs' text is
 *   counted and not printed, a printer on another CPU stops within a byte, the locks are waited
 *   for a bounded time and then taken, what was buffered before the panic is printed, and from
 *   then on the report goes straight to the UART.  Nothing a stopped CPU holds can block it.
 * - A full buffer drops whole messages and counts them; the count goes into the buffer as a line
 *   of its own, between messages, as soon as there is room again.
 *
 * console_lock() holds a "block" so that several kprintf calls (a panic report, a table) land
 * together; other CPUs' messages wait for the block's end, which comes quickly, since appending
 * does no I/O.  Its owner and depth are one word, changed in one atomic step, so that an
 * exception on the owner's CPU sees either "not mine" or "mine, at depth d". */

#define LINE_MAX CONSOLE_LINE_MAX
#define OUT_MAX (3 * LINE_MAX) /* prefixes and \xNN escapes make a message longer */
#define OUT_RESERVE 96         /* room kept for the newline and the "message cut" line */
#define LOG_SIZE (256 * 1024)
#define NMI_TEXT_SIZE 4096 /* a backtrace is about 2 KB */
#define NOTE_MAX 128
#define NO_CPU (-1)
#define TAKEOVER_WAIT_US 500000
#define FLUSH_WAIT_US 2000000
#define FLUSH_BUDGET (16 * 1024)

static char logbuf[LOG_SIZE];
static uint64_t head;          /* bytes appended so far; under buf_owner */
static uint64_t tail;          /* bytes printed so far; moved by the printer alone */
static int buf_owner = NO_CPU; /* CPU appending or taking text (a short hold) */
static int printer = NO_CPU;   /* CPU writing to the UART */
static uint64_t dropped;       /* bytes lost since the last note said so; under buf_owner */
static uint64_t dropped_total;

#define BLOCK_OWNER_SHIFT 16
#define BLOCK_DEPTH_MASK 0xffffu
static uint32_t block;  /* console_lock(): (owner + 1) << BLOCK_OWNER_SHIFT | depth; 0 = free */
static bool block_irqs; /* IF before the outermost console_lock(); written by the owner only */

/* Text written in NMI context, per CPU.  head and wpos move only on that CPU, in its NMI
 * handler; tail moves only under the buffer lock. */
static struct nmi_text {
    char buf[NMI_TEXT_SIZE];
    uint32_t head;  /* published: whole messages up to here */
    uint32_t wpos;  /* written: beyond head while a console_lock() block is open */
    uint32_t tail;  /* moved into the log buffer up to here */
    uint32_t depth; /* console_lock() depth in NMI context */
    uint64_t lost;  /* bytes that did not fit */
} nmi_texts[MAX_CPUS];
static bool nmi_text_waiting;

static int panic_owner = NO_CPU; /* the CPU that took the console over for its panic report */
static bool panic_taken;         /* it has printed what was buffered and writes directly now */
static uint64_t panic_suppressed;

/* A message starts with LINE_START in the buffer: the printer begins a new line there if raw
 * output (the serial console's prompt and echo), or a printer stopped by a panic, left the
 * cursor mid-line. */
#define LINE_START '\x01'
static bool at_column0 = true;

static bool panic_elsewhere(int me)
{
    int p = READ_ONCE(panic_owner);
    return p != NO_CPU && p != me;
}

/* Where the bytes go: the drivers that registered (the UART first), then port 0xE9, which
 * QEMU's -debugcon and bochs read and which costs nothing where nothing listens. */
#define MAX_SINKS 4
static const struct console_sink *sinks[MAX_SINKS];
static unsigned nsinks;

void console_register_sink(const struct console_sink *sink)
{
    if (nsinks < MAX_SINKS)
        sinks[nsinks++] = sink;
}

static void put_byte(char c)
{
    for (unsigned i = 0; i < nsinks; i++)
        sinks[i]->putc(c);
    outb(DEBUGCON_PORT, (uint8_t)c);
}

static void drain_sinks(void)
{
    for (unsigned i = 0; i < nsinks; i++)
        if (sinks[i]->drain)
            sinks[i]->drain();
}

static void emit(char c)
{
    if (c == LINE_START) {
        if (!at_column0)
            emit('\n');
        return;
    }
    if (c == '\n')
        put_byte('\r'); /* the same bytes on every sink */
    put_byte(c);
    at_column0 = c == '\n';
}

/* Stops at once if another CPU begins a panic: from then on the UART is its own. */
static void emit_ring(int me, const char *ring, size_t size, uint64_t from, uint64_t to)
{
    for (uint64_t i = from; i != to; i++) {
        if (panic_elsewhere(me))
            return;
        emit(ring[i % size]);
    }
}

static void emit_str(int me, const char *s, size_t n)
{
    for (size_t i = 0; i < n && !panic_elsewhere(me); i++)
        emit(s[i]);
}

static bool cas(int *p, int old, int new)
{
    return __atomic_compare_exchange_n(p, &old, new, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static bool in_nmi(void) { return this_cpu_read(nmi_state); }
static bool in_handler(void) { return this_cpu_read(irq_count) || in_nmi(); }

/* The buffer lock is held for a memcpy only, never in NMI context.  Re-entered on the same CPU
 * (an exception in the middle of an append) or once another CPU panics, it fails. */
static bool buf_lock(int me)
{
    struct backoff backoff = BACKOFF_INIT;
    while (!cas(&buf_owner, NO_CPU, me)) {
        if (READ_ONCE(buf_owner) == me || panic_elsewhere(me))
            return false;
        backoff_wait(&backoff);
    }
    return true;
}

static void buf_unlock(void) { __atomic_store_n(&buf_owner, NO_CPU, __ATOMIC_RELEASE); }

static size_t format_prefix(char *buf, size_t size, unsigned cpu)
{
    uint64_t us = time_since_boot_us();
    return (size_t)snprintf(buf, size,
                            "[%05llu.%06llu] cpu%u: ", (unsigned long long)(us / 1000000),
                            (unsigned long long)(us % 1000000), cpu);
}

/* One line of the console's own, for the notes about lost text. */
static size_t format_note(char *buf, size_t size, unsigned cpu, const char *fmt, ...)
    __printf(4, 5);
static size_t format_note(char *buf, size_t size, unsigned cpu, const char *fmt, ...)
{
    va_list ap;
    size_t o = 0;
    buf[o++] = LINE_START;
    o += format_prefix(buf + o, size - o, cpu);
    va_start(ap, fmt);
    o += (size_t)vsnprintf(buf + o, size - o, fmt, ap);
    va_end(ap);
    if (o + 1 >= size)
        o = size - 2;
    buf[o++] = '\n';
    return o;
}

static bool room(size_t n) { return head - READ_ONCE(tail) + n <= LOG_SIZE; }

static void copy_in(const char *ring, size_t size, uint64_t from, size_t n)
{
    for (size_t i = 0; i < n; i++)
        logbuf[(head + i) % LOG_SIZE] = ring[(from + i) % size];
    head += n;
}

/* Appends one whole message (n bytes of `ring` from `from`) under the buffer lock, or counts
 * it as lost.  A note owed for earlier losses goes in first, at this message boundary. */
static void put_locked(int me, const char *ring, size_t size, uint64_t from, size_t n)
{
    if (dropped) {
        char note[NOTE_MAX];
        size_t k = format_note(note, sizeof note, (unsigned)me,
                               "console: %llu bytes lost: the log buffer was full",
                               (unsigned long long)dropped);
        if (!room(k + n)) {
            dropped += n;
            dropped_total += n;
            return;
        }
        copy_in(note, k, 0, k);
        dropped = 0;
    }
    if (room(n)) {
        copy_in(ring, size, from, n);
    } else {
        dropped += n;
        dropped_total += n;
    }
}

/* Moves what NMI handlers published into the log buffer, under the buffer lock. */
static void take_nmi_texts_locked(int me)
{
    if (!__atomic_exchange_n(&nmi_text_waiting, false, __ATOMIC_ACQ_REL))
        return;
    for (unsigned c = 0; c < ncpus_possible && c < MAX_CPUS; c++) {
        struct nmi_text *t = &nmi_texts[c];
        uint32_t h = __atomic_load_n(&t->head, __ATOMIC_ACQUIRE), tl = t->tail;
        if (h != tl)
            put_locked(me, t->buf, NMI_TEXT_SIZE, tl, h - tl);
        __atomic_store_n(&t->tail, h, __ATOMIC_RELEASE);
        uint64_t lost = __atomic_exchange_n(&t->lost, 0, __ATOMIC_ACQ_REL);
        if (lost) {
            char note[NOTE_MAX];
            size_t k = format_note(
                note, sizeof note, (unsigned)me,
                "console: %llu bytes printed in NMI context on cpu%u lost: its buffer was full",
                (unsigned long long)lost, c);
            put_locked(me, note, k, 0, k);
        }
    }
}

static void append(int me, const char *s, size_t n)
{
    if (!buf_lock(me)) {
        if (!panic_elsewhere(me))
            emit_str(me, s, n); /* an exception inside the console itself: say it now */
        return;
    }
    put_locked(me, s, n, 0, n);
    buf_unlock();
}

/* In NMI context: into this CPU's ring, published at once or at the end of the block. */
static void nmi_put(int me, const char *s, size_t n)
{
    struct nmi_text *t = &nmi_texts[me];
    if (t->wpos - __atomic_load_n(&t->tail, __ATOMIC_ACQUIRE) + n > NMI_TEXT_SIZE) {
        __atomic_fetch_add(&t->lost, n, __ATOMIC_RELAXED);
        return;
    }
    for (size_t i = 0; i < n; i++)
        t->buf[(t->wpos + i) % NMI_TEXT_SIZE] = s[i];
    t->wpos += (uint32_t)n;
    if (!t->depth) {
        __atomic_store_n(&t->head, t->wpos, __ATOMIC_RELEASE);
        __atomic_store_n(&nmi_text_waiting, true, __ATOMIC_RELEASE);
    }
}

/* The stop NMI of a panic found this CPU printing (nmi.c): now that its line is whole, it stops
 * as the NMI would have stopped it. */
static __noreturn void stop_here(void)
{
    irq_disable();
    __atomic_store_n(&this_cpu()->nmi_stopped, 1, __ATOMIC_RELEASE);
    halt_forever();
}

/* Prints what was appended if no other CPU is printing, FLUSH_BUDGET bytes at the most: a CPU
 * that found others appending as fast as it prints would otherwise never get back to its own
 * work.  What is left goes out with the next kprintf, idle loop or wait (each calls this).
 * The bytes are printed straight from the buffer and `tail` moves after each one, so a CPU
 * that takes over (a panic) goes on from the very byte where this one stopped, and no line is
 * cut.  Interrupts are on while printing: the printer may write for seconds (255 CPUs' lines
 * through emulated port I/O), and its own interrupts and IPIs must not wait. */
static void flush(int me)
{
    size_t printed = 0;
    cpu_touch_watchdog(); /* the console: not a soft lockup (docs/watchdog.md) */
    while (printed < FLUSH_BUDGET) {
        if (!cas(&printer, NO_CPU, me))
            return;
        while (printed < FLUSH_BUDGET && !panic_elsewhere(me)) {
            bool irqs = irq_save();
            bool locked = buf_lock(me);
            uint64_t h = head;
            if (locked) {
                take_nmi_texts_locked(me);
                h = head;
                buf_unlock();
            }
            irq_restore(irqs);
            if (!locked)
                break;
            uint64_t t = tail;
            if (t == h)
                break;
            /* A panic elsewhere stops the printing at the next line's start, not inside one. */
            for (; t != h && printed < FLUSH_BUDGET && !(at_column0 && panic_elsewhere(me));
                 printed++) {
                if (READ_ONCE(printer) != me) { /* a panicking CPU could wait no longer */
                    if (this_cpu_read(stop_deferred))
                        stop_here();
                    return;
                }
                char c = logbuf[t % LOG_SIZE];
                emit(c);
                __atomic_store_n(&tail, ++t, __ATOMIC_RELEASE);
                if (c == '\n') /* a printer that gets lines out is making progress */
                    cpu_touch_watchdog();
            }
        }
        __atomic_store_n(&printer, NO_CPU, __ATOMIC_RELEASE);
        if (panic_elsewhere(me) && this_cpu_read(stop_deferred))
            stop_here();
        if (panic_elsewhere(me) ||
            (__atomic_load_n(&head, __ATOMIC_ACQUIRE) == __atomic_load_n(&tail, __ATOMIC_ACQUIRE) &&
             !__atomic_load_n(&nmi_text_waiting, __ATOMIC_ACQUIRE)))
            return;
    }
}

static int block_owner_of(uint32_t b) { return b ? (int)(b >> BLOCK_OWNER_SHIFT) - 1 : NO_CPU; }

static bool panic_here(int me) { return READ_ONCE(panic_owner) == me; }

void console_lock(void)
{
    int me = (int)cpu_id();
    if (panic_here(me))
        return; /* the report is written directly; there is nothing to keep together */
    if (in_nmi()) {
        nmi_texts[me].depth++;
        return;
    }
    bool irqs = irq_save();
    uint32_t mine = (uint32_t)(me + 1) << BLOCK_OWNER_SHIFT;
    if ((READ_ONCE(block) & ~BLOCK_DEPTH_MASK) == mine) {
        /* Nested on the owner's CPU (an exception that prints): interrupts are already off,
         * and the outermost level restores them. */
        __atomic_fetch_add(&block, 1, __ATOMIC_RELAXED);
        return;
    }
    struct backoff backoff = BACKOFF_INIT;
    uint32_t free = 0;
    while (!__atomic_compare_exchange_n(&block, &free, mine | 1, false, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED)) {
        free = 0;
        backoff_wait(&backoff);
    }
    block_irqs = irqs;
}

void console_unlock(void)
{
    int me = (int)cpu_id();
    if (panic_here(me))
        return;
    if (in_nmi()) {
        struct nmi_text *t = &nmi_texts[me];
        if (t->depth && !--t->depth) {
            __atomic_store_n(&t->head, t->wpos, __ATOMIC_RELEASE);
            __atomic_store_n(&nmi_text_waiting, true, __ATOMIC_RELEASE);
        }
        return;
    }
    uint32_t b = READ_ONCE(block);
    if (block_owner_of(b) != me)
        return; /* not ours: a console_lock() that a panic made a no-op */
    if ((b & BLOCK_DEPTH_MASK) > 1) {
        __atomic_fetch_sub(&block, 1, __ATOMIC_RELAXED);
        return;
    }
    bool irqs = block_irqs;
    __atomic_store_n(&block, 0, __ATOMIC_RELEASE);
    irq_restore(irqs);
    if (!in_handler())
        flush(me);
}

bool console_printing_here(void) { return READ_ONCE(printer) == (int)cpu_id(); }
bool console_lock_held(void) { return block_owner_of(READ_ONCE(block)) == (int)cpu_id(); }
int console_lock_owner(void) { return block_owner_of(READ_ONCE(block)); }
uint64_t console_dropped_bytes(void) { return READ_ONCE(dropped_total); }

void console_flush_pending(void)
{
    int me = (int)cpu_id();
    cpu_touch_watchdog(); /* the idle loop and the waits: not a soft lockup (docs/watchdog.md) */
    if ((READ_ONCE(head) == READ_ONCE(tail) && !READ_ONCE(nmi_text_waiting)) ||
        READ_ONCE(printer) != NO_CPU || in_handler() || READ_ONCE(panic_owner) != NO_CPU)
        return;
    flush(me);
}

/* ---- the panic path ------------------------------------------------------------------------ */

/* Waits a bounded time for another CPU to let go of *owner, unless that CPU has been stopped. */
static int wait_for_release(const int *owner, int me, uint64_t deadline)
{
    int o;
    while ((o = READ_ONCE(*owner)) != NO_CPU && o != me && !time_after(deadline) &&
           !(o >= 0 && (unsigned)o < ncpus_possible && READ_ONCE(per_cpu(o, nmi_stopped))))
        cpu_relax();
    return o;
}

void console_panic_enter(void) { __atomic_store_n(&panic_owner, (int)cpu_id(), __ATOMIC_SEQ_CST); }

/* The panicking CPU's first write: the printer and the buffer become its own (after a bounded
 * wait for the CPUs that had them), and what was buffered before the panic is printed first. */
static void panic_takeover(int me)
{
    if (panic_taken)
        return;
    panic_taken = true;
    uint64_t deadline = time_deadline_us(TAKEOVER_WAIT_US);
    int held_printer = wait_for_release(&printer, me, deadline);
    int held_buffer = wait_for_release(&buf_owner, me, deadline);
    __atomic_store_n(&printer, me, __ATOMIC_SEQ_CST);
    __atomic_store_n(&buf_owner, me, __ATOMIC_SEQ_CST);
    emit_ring(me, logbuf, LOG_SIZE, tail, head);
    tail = head;
    for (unsigned c = 0; c < ncpus_possible && c < MAX_CPUS; c++) {
        struct nmi_text *t = &nmi_texts[c];
        /* this CPU's own unpublished block too: it may be the start of this very report */
        uint32_t end = (int)c == me ? t->wpos : __atomic_load_n(&t->head, __ATOMIC_ACQUIRE);
        emit_ring(me, t->buf, NMI_TEXT_SIZE, t->tail, end);
        t->tail = end;
        dropped += t->lost;
    }
    char note[NOTE_MAX];
    size_t k;
    if (dropped) {
        k = format_note(note, sizeof note, (unsigned)me,
                        "console: %llu bytes lost: the log buffer was full",
                        (unsigned long long)dropped);
        emit_str(me, note, k);
        dropped = 0;
    }
    if (held_printer != NO_CPU && held_printer != me) {
        k = format_note(note, sizeof note, (unsigned)me,
                        "console: took the console over from cpu%d, which was printing",
                        held_printer);
        emit_str(me, note, k);
    }
    if (held_buffer != NO_CPU && held_buffer != me) {
        k = format_note(note, sizeof note, (unsigned)me,
                        "console: took the log buffer over from cpu%d, which held it", held_buffer);
        emit_str(me, note, k);
    }
}

uint64_t console_panic_suppressed(void) { return READ_ONCE(panic_suppressed); }

/* Waits while the text is still moving: a bound on silence, not on the total, since 70 KB of
 * lines from 255 CPUs can take many seconds of emulated port writes.  A printer that has not
 * moved for FLUSH_WAIT_US (its vCPU starved by a loaded host, or stuck) is taken over once, so
 * that what is buffered still comes out before QEMU is told to exit. */
void console_flush(void)
{
    int me = (int)cpu_id();
    if (panic_here(me)) {
        panic_takeover(me);
        drain_sinks();
        return;
    }
    if (in_nmi() || panic_elsewhere(me))
        return;
    uint64_t deadline = time_deadline_us(FLUSH_WAIT_US);
    uint64_t last_tail = READ_ONCE(tail);
    bool took_over = false;
    flush(me);
    while ((READ_ONCE(head) != READ_ONCE(tail) || READ_ONCE(printer) != NO_CPU ||
            READ_ONCE(nmi_text_waiting)) &&
           !panic_elsewhere(me)) {
        cpu_relax();
        flush(me);
        if (READ_ONCE(tail) != last_tail) {
            last_tail = READ_ONCE(tail);
            deadline = time_deadline_us(FLUSH_WAIT_US);
            continue;
        }
        if (!time_after(deadline))
            continue;
        int stalled = READ_ONCE(printer);
        if (stalled == NO_CPU || stalled == me)
            break; /* nothing moves and nobody else prints */
        if (!cas(&printer, stalled, NO_CPU))
            continue; /* it let go meanwhile */
        /* Its loop sees it is no longer the printer and stops.  As often as it takes: with
         * hundreds of vCPUs on two host cores, the next printer may stall as well. */
        if (!took_over) {
            char note[NOTE_MAX];
            size_t k =
                format_note(note, sizeof note, (unsigned)me,
                            "console: cpu%d printed nothing for %u ms; cpu%d prints the rest",
                            stalled, FLUSH_WAIT_US / 1000, me);
            append(me, note, k);
        }
        took_over = true;
        deadline = time_deadline_us(FLUSH_WAIT_US);
    }
    drain_sinks();
}

/* ---- formatting ---------------------------------------------------------------------------- */

/* Prefixes every line of `text` and escapes the bytes that would break the log into lines
 * without a prefix or move a terminal's cursor (CR, ESC, other control bytes: \xNN). */
static size_t format_message(char *out, const char *text, int n, unsigned cpu)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    bool line_start = true, cut = n >= LINE_MAX;
    out[o++] = LINE_START;
    for (const char *p = text; *p; p++) {
        if (o + 4 + OUT_RESERVE > OUT_MAX) {
            cut = true;
            break;
        }
        unsigned char c = (unsigned char)*p;
        if (line_start)
            o += format_prefix(out + o, OUT_MAX - o, cpu);
        line_start = c == '\n';
        if (c == '\n' || c == '\t' || (c >= ' ' && c < 0x7f)) {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 0xf];
        }
    }
    if (!line_start)
        out[o++] = '\n';
    if (cut) {
        o += format_prefix(out + o, OUT_MAX - o, cpu);
        o += (size_t)snprintf(out + o, OUT_MAX - o, "(message cut at %d characters)\n", LINE_MAX);
    }
    return o;
}

/* Where a message goes: straight out (this CPU panics), nowhere (another one does), this CPU's
 * NMI ring, or the log buffer.  Returns whether the caller should try to print. */
static bool deliver(int me, const char *s, size_t n)
{
    int p = READ_ONCE(panic_owner);
    if (p == me) {
        panic_takeover(me);
        emit_str(me, s, n);
        return false;
    }
    if (p != NO_CPU) {
        __atomic_fetch_add(&panic_suppressed, n, __ATOMIC_RELAXED);
        return false;
    }
    if (in_nmi()) {
        nmi_put(me, s, n);
        return false;
    }
    bool irqs = irq_save();
    int blocker;
    struct backoff backoff = BACKOFF_INIT;
    /* Another CPU's block is being written: wait for its end (it only appends). */
    while ((blocker = block_owner_of(READ_ONCE(block))) != NO_CPU && blocker != me &&
           !panic_elsewhere(me))
        backoff_wait(&backoff);
    append(me, s, n);
    bool print = block_owner_of(READ_ONCE(block)) != me && !in_handler();
    irq_restore(irqs);
    return print;
}

int vkprintf(const char *fmt, va_list ap)
{
    char text[LINE_MAX];
    char out[OUT_MAX];
    unsigned cpu = cpu_id();
    if (panic_here((int)cpu))
        panic_takeover((int)cpu); /* before the timestamp: what was buffered goes out first */
    int n = vsnprintf(text, sizeof text, fmt, ap);
    size_t o = format_message(out, text, n, cpu);
    if (deliver((int)cpu, out, o))
        flush((int)cpu);
    return n;
}

void console_write_raw(const char *s, size_t n)
{
    int me = (int)cpu_id();
    if (deliver(me, s, n))
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
