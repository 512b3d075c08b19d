#include "dev/hpet.h"

#include "core/console.h"
#include "mm/paging.h"

/* Register offsets (HPET 1.0a §2.3.1, table 2) */
/* clang-format off: register bits stay indented under their register */
#define HPET_CAPABILITIES 0x000
#define CAP_PERIOD_SHIFT 32   /* main counter tick in femtoseconds */
#define CAP_COUNT_SIZE 0x2000 /* bit 13: the main counter is 64 bits wide (else 32) */
#define CAP_NUM_TIM_SHIFT 8   /* bits 12:8: the number of the last comparator */
#define CAP_NUM_TIM_MASK 0x1f
#define HPET_CONFIG 0x010
#define CONFIG_ENABLE 0x1
#define CONFIG_LEGACY 0x2 /* legacy replacement route: comparators 0, 1 on IRQ 0, 8 */
#define HPET_TN_CONFIG(n) (0x100 + 0x20 * (n))
#define TN_INT_TYPE_LEVEL 0x2
#define TN_INT_ENB 0x4
#define TN_TYPE_PERIODIC 0x8
#define TN_PER_INT_CAP 0x10
#define TN_SIZE_64 0x20
#define TN_VAL_SET 0x40
#define TN_32MODE 0x100
#define TN_INT_ROUTE_SHIFT 9 /* bits 13:9 */
#define TN_INT_ROUTE_MASK 0x1f
#define TN_FSB_EN 0x4000
#define TN_INT_ROUTE_CAP_SHIFT 32
#define HPET_TN_COMPARATOR(n) (0x108 + 0x20 * (n))
#define HPET_MAIN_COUNTER 0x0f0
#define HPET_MMIO_SIZE 0x400
#define HPET_MAX_PERIOD_FS 100000000ULL /* the spec's upper bound: 100 ns */
#define FS_PER_S 1000000000000000ULL
/* clang-format on */

static volatile uint64_t *regs;
static uint64_t hz;
static uint64_t mask;

static uint64_t reg(unsigned off) { return regs[off / 8]; }

bool hpet_init(uint64_t phys)
{
    regs = ioremap(phys, HPET_MMIO_SIZE);
    uint64_t period = reg(HPET_CAPABILITIES) >> CAP_PERIOD_SHIFT;
    if (!period || period > HPET_MAX_PERIOD_FS) {
        kprintf("hpet: warning: block at %#llx reports a period of %llu fs; not using it",
                (unsigned long long)phys, (unsigned long long)period);
        regs = NULL;
        return false;
    }
    hz = FS_PER_S / period;
    mask = reg(HPET_CAPABILITIES) & CAP_COUNT_SIZE ? ~0ULL : 0xffffffffULL;
    regs[HPET_CONFIG / 8] = reg(HPET_CONFIG) | CONFIG_ENABLE;
    return true;
}

bool hpet_present(void) { return regs != NULL; }

unsigned hpet_comparators(void)
{
    return regs ? (unsigned)((reg(HPET_CAPABILITIES) >> CAP_NUM_TIM_SHIFT) & CAP_NUM_TIM_MASK) + 1
                : 0;
}

uint32_t hpet_periodic_route_cap(unsigned n)
{
    if (n >= hpet_comparators())
        return 0;
    uint64_t c = reg(HPET_TN_CONFIG(n));
    return c & TN_PER_INT_CAP ? (uint32_t)(c >> TN_INT_ROUTE_CAP_SHIFT) : 0;
}

bool hpet_periodic_start(unsigned n, unsigned gsi, uint64_t period)
{
    if (!(hpet_periodic_route_cap(n) & (1u << gsi)) || !period ||
        (reg(HPET_CONFIG) & CONFIG_LEGACY && n < 2)) {
        kprintf("hpet: warning: comparator %u cannot interrupt periodically on GSI %u", n, gsi);
        return false;
    }
    uint64_t c = reg(HPET_TN_CONFIG(n));
    c &= ~(TN_INT_TYPE_LEVEL | TN_32MODE | TN_FSB_EN |
           ((uint64_t)TN_INT_ROUTE_MASK << TN_INT_ROUTE_SHIFT));
    c |= TN_INT_ENB | TN_TYPE_PERIODIC | TN_VAL_SET | (uint64_t)gsi << TN_INT_ROUTE_SHIFT;
    /* A 32-bit comparator compares the counter's low half: the period must fit. */
    if (!(c & TN_SIZE_64) && period > 0xffffffffULL)
        period = 0xffffffffULL;
    /* §2.3.9.2.2: with Tn_VAL_SET_CNF, the first write sets the time of the first interrupt and
     * the second the period that is added at each one. */
    regs[HPET_TN_CONFIG(n) / 8] = c;
    regs[HPET_TN_COMPARATOR(n) / 8] = (reg(HPET_MAIN_COUNTER) + period) & mask;
    regs[HPET_TN_COMPARATOR(n) / 8] = period;
    return true;
}

uint64_t hpet_comparator(unsigned n) { return reg(HPET_TN_COMPARATOR(n)); }
uint64_t hpet_read(void) { return reg(HPET_MAIN_COUNTER); }
uint64_t hpet_hz(void) { return hz; }
uint64_t hpet_counter_mask(void) { return mask; }
