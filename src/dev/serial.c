#include "dev/serial.h"

#include "apic/ipi.h"
#include "apic/lapic.h"
#include "core/console.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "cpu/spinlock.h"
#include "cpu/vectors.h"
#include "irq/route.h"

/* 16550 registers, as offsets from the base port (PC16550D datasheet, table 2). */
/* clang-format off: register bits stay indented under their register */
#define UART_THR 0 /* transmit holding (DLAB=0) */
#define UART_DLL 0 /* divisor latch low (DLAB=1) */
#define UART_RBR 0 /* receive buffer (DLAB=0) */
#define UART_IER 1 /* interrupt enable (DLAB=0) */
#define IER_RX_AVAILABLE 0x01
#define UART_DLM 1 /* divisor latch high (DLAB=1) */
#define UART_FCR 2 /* FIFO control */
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define FCR_TRIGGER_14 0xc0
#define UART_LCR 3 /* line control */
#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define UART_MCR 4 /* modem control */
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT2 0x08 /* on PCs, gates the UART's interrupt line to the PIC / I/O APIC */
#define MCR_LOOP 0x10
#define UART_LSR 5 /* line status */
#define LSR_DATA_READY 0x01
#define LSR_OVERRUN 0x02 /* a byte came while the FIFO (or RBR) was full, and was lost */
#define LSR_THRE 0x20    /* transmit holding register empty */
#define LSR_TEMT 0x40    /* transmitter empty */
#define UART_SCR 7       /* scratch */

#define UART_CLOCK_DIVISOR_115200 1 /* 1.8432 MHz / 16 / 115200 */
/* clang-format on */
/* How long to wait for room in the transmitter.  One byte takes 87 us at 115200 baud, but
 * QEMU holds THRE clear while the host end of the port does not read (its flow control), and a
 * busy host may not read for seconds (a test harness on a loaded 2-core machine: 2 s was seen
 * to be too short).  A UART that stays full this long is taken as stuck: bytes are then
 * counted and not sent (writing into a full FIFO would drop them anyway) until it drains again,
 * when a line says how many were lost.  A dead port costs one wait, not one per byte. */
#define UART_STALL_US 5000000

static bool present;

void serial_init(void)
{
    /* A 16550 keeps what is written to its scratch register; an empty port reads 0xff. */
    outb(COM1_BASE + UART_SCR, 0x5a);
    if (inb(COM1_BASE + UART_SCR) != 0x5a) {
        present = false;
        return;
    }
    outb(COM1_BASE + UART_IER, 0);
    outb(COM1_BASE + UART_LCR, LCR_DLAB);
    outb(COM1_BASE + UART_DLL, UART_CLOCK_DIVISOR_115200 & 0xff);
    outb(COM1_BASE + UART_DLM, UART_CLOCK_DIVISOR_115200 >> 8);
    outb(COM1_BASE + UART_LCR, LCR_8N1);
    outb(COM1_BASE + UART_FCR, FCR_ENABLE | FCR_CLEAR_RX | FCR_CLEAR_TX | FCR_TRIGGER_14);
    outb(COM1_BASE + UART_MCR, MCR_DTR | MCR_RTS);
    present = true;
    static const struct console_sink uart = { .name = "com1",
                                              .putc = serial_putc,
                                              .drain = serial_drain };
    console_register_sink(&uart);
}

bool serial_present(void) { return present; }

static bool stuck;
static uint64_t unsent; /* bytes not sent while stuck, not yet said */

static bool thr_empty(void) { return inb(COM1_BASE + UART_LSR) & LSR_THRE; }

static bool wait_lsr(uint8_t bit)
{
    uint64_t deadline = time_deadline_us(UART_STALL_US);
    while (!(inb(COM1_BASE + UART_LSR) & bit)) {
        if (time_after(deadline))
            return false;
        cpu_relax();
    }
    return true;
}

/* Called by the console's one printer at a time (src/core/console.c), so the state needs no
 * lock. */
void serial_putc(char c)
{
    if (!present)
        return;
    if (stuck && thr_empty()) {
        stuck = false;
        if (unsent) {
            /* Printed by this same printer right after what it is printing now. */
            kprintf("serial: warning: COM1 did not drain for %u ms; %llu bytes before this line "
                    "were not sent",
                    UART_STALL_US / 1000, (unsigned long long)unsent);
            unsent = 0;
        }
    }
    if (!stuck && !thr_empty() && !wait_lsr(LSR_THRE))
        stuck = true;
    if (stuck) {
        unsent++;
        return;
    }
    outb(COM1_BASE + UART_THR, (uint8_t)c);
}

void serial_drain(void)
{
    if (present && !stuck)
        wait_lsr(LSR_TEMT);
}

#define COM1_IRQ 4
#define RX_RING 1024
#define RX_RESUME (RX_RING / 2) /* free slots before a throttled receiver takes bytes again */
#define RX_BURST 64             /* bytes per handler pass; more re-arm the interrupt (rx_rearm) */

/* The receive ring: one producer, the handler (which runs on one CPU at a time, irq.c), and
 * one consumer, the console.  It never drops a byte: when it is full the handler leaves the
 * rest in the UART and turns its receive interrupt off (throttles, as a tty throttles its
 * sender).  The UART then fills its FIFO and takes no more: a real line would overrun, but
 * QEMU's 16550 stops reading its chardev, so the host's bytes wait in QEMU or its socket.
 * The reader turns the interrupt back on once half the ring is free, or when it finds the
 * ring empty: the lock makes the handler's "full, throttle" and the reader's "room, resume"
 * one decision each, so a throttled UART is always resumed. */
static char rx[RX_RING];
static volatile uint32_t rx_head, rx_tail; /* written by the handler / read by the console */
static volatile uint64_t rx_bytes, rx_overruns, rx_throttles;
static struct spinlock rx_lock = SPINLOCK_INIT; /* rx_throttled and IER */
static volatile bool rx_throttled;

uint64_t serial_rx_bytes(void) { return rx_bytes; }
uint64_t serial_rx_throttles(void) { return rx_throttles; }

static uint32_t wake_apic = ~0u;
void serial_rx_wake(uint32_t apic_id) { wake_apic = apic_id; }

static uint32_t rx_free(void)
{
    return (READ_ONCE(rx_tail) + RX_RING - 1 - __atomic_load_n(&rx_head, __ATOMIC_ACQUIRE)) %
           RX_RING;
}

/* The 16550 raises its line while received data waits and IER allows it (datasheet, IIR);
 * the I/O APIC entry is edge-triggered, so a line that stays up raises no new interrupt.
 * Turning the receive interrupt off and on again drops the line and raises it anew. */
static void rx_rearm(void)
{
    outb(COM1_BASE + UART_IER, 0);
    outb(COM1_BASE + UART_IER, IER_RX_AVAILABLE);
}

static void rx_handler(struct regs *r, void *data)
{
    (void)r, (void)data;
    uint64_t before = rx_bytes;
    bool full = false;
    uint8_t lsr;
    int n = 0;
    while ((lsr = inb(COM1_BASE + UART_LSR)) & LSR_DATA_READY) {
        if (lsr & LSR_OVERRUN) /* read clears it */
            kprintf("serial: warning: COM1 receive overrun: the UART dropped a byte (%llu times so "
                    "far)",
                    (unsigned long long)++rx_overruns);
        if (n++ == RX_BURST)
            break;
        uint32_t next = (rx_head + 1) % RX_RING;
        if (next == READ_ONCE(rx_tail)) {
            bool irqs = spin_lock(&rx_lock);
            full = next == READ_ONCE(rx_tail);
            if (full) {
                rx_throttled = true;
                rx_throttles++;
                outb(COM1_BASE + UART_IER, 0); /* the byte stays in the UART */
            }
            spin_unlock(&rx_lock, irqs);
            if (full)
                break;
        }
        rx[rx_head] = (char)inb(COM1_BASE + UART_RBR);
        rx_bytes++;
        __atomic_store_n(&rx_head, next, __ATOMIC_RELEASE);
    }
    if (n > RX_BURST) {
        bool irqs = spin_lock(&rx_lock);
        if (!rx_throttled)
            rx_rearm();
        spin_unlock(&rx_lock, irqs);
    }
    /* The reader (the console, on CPU 0) may sleep in hlt on another CPU than this route's. */
    if (rx_bytes != before && wake_apic != ~0u && wake_apic != lapic_id())
        ipi_fixed(wake_apic, VEC_IPI_WAKE);
}

/* Resumes a throttled receiver once there is room (`empty`: the reader found nothing more). */
static void rx_resume(bool empty)
{
    bool irqs = spin_lock(&rx_lock);
    if (rx_throttled && (empty || rx_free() >= RX_RESUME)) {
        rx_throttled = false;
        rx_rearm(); /* whatever waits in the UART raises the interrupt at once */
    }
    spin_unlock(&rx_lock, irqs);
}

bool serial_peek(void) { return READ_ONCE(rx_tail) != __atomic_load_n(&rx_head, __ATOMIC_ACQUIRE); }

int serial_getc(void)
{
    uint32_t t = rx_tail;
    if (t == __atomic_load_n(&rx_head, __ATOMIC_ACQUIRE)) {
        /* Under the lock, so a throttle decided on a full ring before this reader emptied it
         * is seen here; checking the flag alone could miss it (x86 lets the load pass the
         * store of rx_tail, SDM vol. 3A §9.2.3.4). */
        rx_resume(true);
        return -1;
    }
    char c = rx[t];
    __atomic_store_n(&rx_tail, (t + 1) % RX_RING, __ATOMIC_RELEASE);
    if (READ_ONCE(rx_throttled))
        rx_resume(false);
    return (unsigned char)c;
}

void serial_irq_init(void)
{
    if (!present || !irq_request(COM1_IRQ, IRQ_PRIO_NORMAL, rx_handler, NULL, "com1"))
        return;
    outb(COM1_BASE + UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
    outb(COM1_BASE + UART_IER, IER_RX_AVAILABLE);
    while (inb(COM1_BASE + UART_LSR) & LSR_DATA_READY)
        (void)inb(COM1_BASE + UART_RBR);
}
