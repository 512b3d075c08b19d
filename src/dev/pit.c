#include "dev/pit.h"

#include "core/console.h"
#include "cpu/cpu.h"
#include "irq/route.h"

/* Ports and mode bits (Intel 82C54 datasheet; PC port 0x61 is the speaker/gate register). */
/* clang-format off: register bits stay indented under their register */
#define PIT_CH0_DATA 0x40
#define PIT_CH2_DATA 0x42
#define PIT_COMMAND 0x43
#define PIT_SEL_CH0 0x00
#define PIT_SEL_CH2 0x80
#define PIT_ACCESS_LOHI 0x30
#define PIT_LATCH 0x00 /* counter latch command: access bits 00 */
#define PIT_MODE0 0x00 /* interrupt on terminal count: OUT goes high when the count ends */
#define PIT_MODE2 0x04 /* rate generator: a pulse every `count` input clocks */
#define PORT_SPEAKER 0x61
#define SPEAKER_GATE2 0x01 /* gate input of channel 2 */
#define SPEAKER_DATA 0x02  /* speaker on: keep it off */
/* clang-format on */
/* Reads of a count that never moves before the PIT is taken as absent: each read is three port
 * accesses, so this is milliseconds anywhere, thousands of the PIT's 838 ns input clocks. */
#define PIT_PROBE_READS 100000UL

/* Mode 2 with a count of 0, which the 8254 takes as 65536: channel 2 then counts down from 65536
 * to 1 and reloads, forever, while its gate (port 0x61 bit 0) is high.  A latched read gives
 * the count without stopping it (82C54 datasheet, "Counter Latch Command"). */
bool pit_counter_start(void)
{
    uint8_t old = inb(PORT_SPEAKER);
    outb(PORT_SPEAKER, (old & ~SPEAKER_DATA) & ~SPEAKER_GATE2);
    outb(PIT_COMMAND, PIT_SEL_CH2 | PIT_ACCESS_LOHI | PIT_MODE2);
    outb(PIT_CH2_DATA, 0);
    outb(PIT_CH2_DATA, 0);
    /* Counting starts when the gate rises. */
    outb(PORT_SPEAKER, (old & ~SPEAKER_DATA) | SPEAKER_GATE2);
    /* An absent PIT reads 0xff on every port, so its count never moves; a present one moves
     * every 838 ns (PIT_HZ), within a few reads. */
    uint64_t first = pit_counter_read();
    for (unsigned long i = 0; i < PIT_PROBE_READS; i++)
        if (pit_counter_read() != first)
            return true;
    return false;
}

uint64_t pit_counter_read(void)
{
    outb(PIT_COMMAND, PIT_SEL_CH2 | PIT_LATCH);
    uint8_t lo = inb(PIT_CH2_DATA);
    uint8_t hi = inb(PIT_CH2_DATA);
    return (0x10000u - ((unsigned)hi << 8 | lo)) & 0xffff; /* counts down: negate to count up */
}

void pit_periodic_start(unsigned hz)
{
    unsigned count = PIT_HZ / (hz ? hz : 1);
    if (count > 0xffff)
        count = 0xffff;
    outb(PIT_COMMAND, PIT_SEL_CH0 | PIT_ACCESS_LOHI | PIT_MODE2);
    outb(PIT_CH0_DATA, count & 0xff);
    outb(PIT_CH0_DATA, count >> 8);
}

static volatile uint64_t irqs;
uint64_t pit_irqs(void) { return irqs; }

static void handler(struct regs *r, void *data)
{
    (void)r, (void)data;
    irqs++;
}

void pit_irq_init(unsigned hz)
{
    if (!irq_request(0, IRQ_PRIO_URGENT, handler, NULL, "pit"))
        return;
    pit_periodic_start(hz);
    kprintf("pit: channel 0 at %u Hz", hz);
}
