#include "kernel/rtc.h"

#include "cpu/cpu.h"
#include "irq/route.h"
#include "kernel/console.h"

/* CMOS index/data ports and RTC registers (MC146818A datasheet).  Bit 7 of the index is left
 * clear: on PCs it masks NMI. */
#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define RTC_REG_A 0x0a
#define   REG_A_RATE_MASK 0x0f
#define   REG_A_RATE_64HZ 0x0a /* 32768 >> (rate - 1) */
#define RTC_REG_B 0x0b
#define   REG_B_PIE 0x40 /* periodic interrupt enable */
#define RTC_REG_C 0x0c   /* read: which interrupt; reading it acknowledges */
#define RTC_IRQ 8
#define RTC_HZ 64


static uint8_t rd(uint8_t reg)
{
    outb(CMOS_INDEX, reg);
    return inb(CMOS_DATA);
}

static void wr(uint8_t reg, uint8_t v)
{
    outb(CMOS_INDEX, reg);
    outb(CMOS_DATA, v);
}

static void handler(struct regs *r, void *data)
{
    (void)r, (void)data;
    (void)rd(RTC_REG_C); /* without this read the RTC raises no further interrupt */
}

void rtc_init(void)
{
    if (!irq_request(RTC_IRQ, IRQ_PRIO_LOW, handler, NULL, "rtc"))
        return;
    bool on = irq_save();
    wr(RTC_REG_A, (rd(RTC_REG_A) & ~REG_A_RATE_MASK) | REG_A_RATE_64HZ);
    wr(RTC_REG_B, rd(RTC_REG_B) | REG_B_PIE);
    (void)rd(RTC_REG_C);
    irq_restore(on);
    kprintf("rtc: periodic interrupt at %u Hz", RTC_HZ);
}
