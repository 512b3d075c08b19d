#include "kernel/console.h"

#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "kernel/serial.h"
#include "kernel/time.h"
#include "lib/printf.h"

#define LINE_MAX 512
#define NO_OWNER (-1)
/* How long a panicking CPU waits for the console before it takes it anyway. */
#define PANIC_LOCK_WAIT_US 500000

static int lock_owner = NO_OWNER; /* CPU number holding the lock */
static unsigned lock_depth;       /* nesting on that CPU */
static bool lock_irqs_were_on;

static void emit(char c)
{
    if (c == '\n')
        serial_putc('\r');
    serial_putc(c);
    outb(DEBUGCON_PORT, (uint8_t)c);
}

void console_init(void) { serial_init(); }

static bool try_take(int me)
{
    int expected = NO_OWNER;
    return __atomic_compare_exchange_n(&lock_owner, &expected, me, false, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED);
}

static void lock(bool for_panic)
{
    bool irqs_on = irq_save();
    int me = (int)cpu_id();
    if (READ_ONCE(lock_owner) == me) {
        lock_depth++;
        return;
    }
    /* Exponential back-off on pause: a waiting virtual CPU leaves its host core to the one
     * that is printing (under TCG they may share one core). */
    uint64_t deadline = for_panic ? time_deadline_us(PANIC_LOCK_WAIT_US) : 0;
    unsigned backoff = 1;
    while (!try_take(me)) {
        for (unsigned i = 0; i < backoff; i++)
            cpu_relax();
        if (backoff < 1024)
            backoff <<= 1;
        if (for_panic && time_after(deadline)) {
            __atomic_store_n(&lock_owner, me, __ATOMIC_SEQ_CST);
            break;
        }
    }
    lock_depth = 1;
    lock_irqs_were_on = irqs_on;
}

void console_lock(void) { lock(false); }
void console_lock_for_panic(void) { lock(true); }

void console_unlock(void)
{
    if (--lock_depth)
        return;
    bool irqs_on = lock_irqs_were_on;
    __atomic_store_n(&lock_owner, NO_OWNER, __ATOMIC_RELEASE);
    irq_restore(irqs_on);
}

static void emit_prefix(void)
{
    char prefix[40];
    uint64_t us = time_since_boot_us();
    snprintf(prefix, sizeof prefix, "[%05llu.%06llu] cpu%u: ", (unsigned long long)(us / 1000000),
             (unsigned long long)(us % 1000000), cpu_id());
    for (const char *p = prefix; *p; p++)
        emit(*p);
}

int vkprintf(const char *fmt, va_list ap)
{
    char line[LINE_MAX];
    int n = vsnprintf(line, sizeof line, fmt, ap);
    console_lock();
    bool at_line_start = true;
    for (const char *p = line; *p; p++) {
        if (at_line_start)
            emit_prefix();
        emit(*p);
        at_line_start = *p == '\n';
    }
    if (!at_line_start)
        emit('\n');
    if (n >= LINE_MAX) {
        emit_prefix();
        const char *cut = "(line cut at 512 characters)\n";
        for (; *cut; cut++)
            emit(*cut);
    }
    console_unlock();
    return n;
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vkprintf(fmt, ap);
    va_end(ap);
    return n;
}
