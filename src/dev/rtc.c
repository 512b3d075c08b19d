#include "dev/rtc.h"

#include "core/console.h"
#include "cpu/cmos.h"
#include "cpu/cpu.h"
#include "cpu/spinlock.h"
#include "irq/route.h"

/* RTC registers in the CMOS (MC146818A datasheet). */
/* clang-format off: register bits stay indented under their register */
#define RTC_REG_A 0x0a
#define REG_A_RATE_MASK 0x0f
#define REG_A_RATE_64HZ 0x0a /* 32768 >> (rate - 1) */
#define RTC_REG_B 0x0b
#define REG_B_PIE 0x40 /* periodic interrupt enable */
#define RTC_REG_C 0x0c /* read: which interrupt; reading it acknowledges */
#define RTC_IRQ 8
#define RTC_HZ 64
/* clang-format on */

static struct spinlock cmos_lock = SPINLOCK_INIT;

uint8_t cmos_read(uint8_t reg)
{
    bool irqs = spin_lock(&cmos_lock);
    outb(CMOS_INDEX, reg);
    uint8_t v = inb(CMOS_DATA);
    spin_unlock(&cmos_lock, irqs);
    return v;
}

void cmos_write(uint8_t reg, uint8_t v)
{
    bool irqs = spin_lock(&cmos_lock);
    outb(CMOS_INDEX, reg);
    outb(CMOS_DATA, v);
    spin_unlock(&cmos_lock, irqs);
}

static uint64_t irqs;

uint64_t rtc_irqs(void) { return READ_ONCE(irqs); }

static void handler(struct regs *r, void *data)
{
    (void)r, (void)data;
    WRITE_ONCE(irqs, irqs + 1); /* one CPU at a time runs it (irq.c, run_device) */
    (void)cmos_read(RTC_REG_C); /* without this read the RTC raises no further interrupt */
}

void rtc_init(void)
{
    if (!irq_request(RTC_IRQ, IRQ_PRIO_LOW, handler, NULL, "rtc"))
        return;
    /* Only this function writes A and B; cmos_lock keeps each access whole against the
     * handler's read of C. */
    cmos_write(RTC_REG_A, (cmos_read(RTC_REG_A) & ~REG_A_RATE_MASK) | REG_A_RATE_64HZ);
    cmos_write(RTC_REG_B, cmos_read(RTC_REG_B) | REG_B_PIE);
    (void)cmos_read(RTC_REG_C);
    kprintf("rtc: periodic interrupt at %u Hz", RTC_HZ);
}
