#include "dev/pit.h"

#include "cpu/cpu.h"
#include "irq/route.h"
#include "core/console.h"

/* Ports and mode bits (Intel 82C54 datasheet; PC port 0x61 is the speaker/gate register). */
#define PIT_CH0_DATA 0x40
#define PIT_CH2_DATA 0x42
#define PIT_COMMAND 0x43
#define   PIT_SEL_CH0 0x00
#define   PIT_SEL_CH2 0x80
#define   PIT_ACCESS_LOHI 0x30
#define   PIT_MODE0 0x00 /* interrupt on terminal count: OUT goes high when the count ends */
#define   PIT_MODE2 0x04 /* rate generator: a pulse every `count` input clocks */
#define PORT_SPEAKER 0x61
#define   SPEAKER_GATE2 0x01 /* gate input of channel 2 */
#define   SPEAKER_DATA 0x02  /* speaker on: keep it off */
#define   SPEAKER_OUT2 0x20  /* channel 2's OUT, read-only */

uint64_t pit_measure_tsc(uint16_t ticks)
{
    uint8_t old = inb(PORT_SPEAKER);
    outb(PORT_SPEAKER, (old & ~SPEAKER_DATA) & ~SPEAKER_GATE2);
    outb(PIT_COMMAND, PIT_SEL_CH2 | PIT_ACCESS_LOHI | PIT_MODE0);
    outb(PIT_CH2_DATA, ticks & 0xff);
    outb(PIT_CH2_DATA, ticks >> 8);
    /* Counting starts when the gate rises. */
    outb(PORT_SPEAKER, (old & ~SPEAKER_DATA) | SPEAKER_GATE2);
    uint64_t start = rdtsc();
    /* Bound: far more port reads than any real count needs (each read takes ~1 us). */
    for (unsigned long i = 0; i < 50000000UL; i++) {
        if (inb(PORT_SPEAKER) & SPEAKER_OUT2) {
            uint64_t cycles = rdtsc() - start;
            outb(PORT_SPEAKER, old & ~SPEAKER_DATA);
            return cycles;
        }
    }
    outb(PORT_SPEAKER, old & ~SPEAKER_DATA);
    return 0;
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
