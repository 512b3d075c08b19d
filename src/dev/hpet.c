#include "dev/hpet.h"

#include "core/console.h"
#include "mm/paging.h"

/* Register offsets (HPET 1.0a §2.3.1, table 2) */
/* clang-format off: register bits stay indented under their register */
#define HPET_CAPABILITIES 0x000
#define CAP_PERIOD_SHIFT 32   /* main counter tick in femtoseconds */
#define CAP_COUNT_SIZE 0x2000 /* bit 13: the main counter is 64 bits wide (else 32) */
#define HPET_CONFIG 0x010
#define CONFIG_ENABLE 0x1
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
uint64_t hpet_read(void) { return reg(HPET_MAIN_COUNTER); }
uint64_t hpet_hz(void) { return hz; }
uint64_t hpet_counter_mask(void) { return mask; }
