#include "kernel/serial.h"

#include "cpu/cpu.h"

/* 16550 registers, as offsets from the base port (PC16550D datasheet, table 2). */
#define UART_THR 0 /* transmit holding (DLAB=0) */
#define UART_DLL 0 /* divisor latch low (DLAB=1) */
#define UART_IER 1 /* interrupt enable (DLAB=0) */
#define UART_DLM 1 /* divisor latch high (DLAB=1) */
#define UART_FCR 2 /* FIFO control */
#define   FCR_ENABLE 0x01
#define   FCR_CLEAR_RX 0x02
#define   FCR_CLEAR_TX 0x04
#define   FCR_TRIGGER_14 0xc0
#define UART_LCR 3 /* line control */
#define   LCR_8N1 0x03
#define   LCR_DLAB 0x80
#define UART_MCR 4 /* modem control */
#define   MCR_DTR 0x01
#define   MCR_RTS 0x02
#define   MCR_LOOP 0x10
#define UART_LSR 5 /* line status */
#define   LSR_THRE 0x20 /* transmit holding register empty */
#define   LSR_TEMT 0x40 /* transmitter empty */
#define UART_SCR 7 /* scratch */

#define UART_CLOCK_DIVISOR_115200 1 /* 1.8432 MHz / 16 / 115200 */
/* Long enough for one byte at 115200 baud (87 us) many times over, short enough that a port
 * with nothing behind it does not stall the boot. */
#define UART_WAIT_LOOPS 200000

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
}

bool serial_present(void) { return present; }

void serial_putc(char c)
{
    if (!present)
        return;
    for (int i = 0; i < UART_WAIT_LOOPS && !(inb(COM1_BASE + UART_LSR) & LSR_THRE); i++)
        cpu_relax();
    outb(COM1_BASE + UART_THR, (uint8_t)c);
}

void serial_drain(void)
{
    if (!present)
        return;
    for (int i = 0; i < UART_WAIT_LOOPS && !(inb(COM1_BASE + UART_LSR) & LSR_TEMT); i++)
        cpu_relax();
}
