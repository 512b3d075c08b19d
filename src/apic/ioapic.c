#include "apic/ioapic.h"

#include "core/console.h"
#include "cpu/spinlock.h"
#include "mm/paging.h"

/* Registers, reached through an index (IOREGSEL) and a window (IOWIN) (datasheet §3.1). */
/* A read from an address where no device answers returns all ones (PCI and ISA float high). */
/* clang-format off: register bits stay indented under their register */
#define IOAPIC_NOTHING_THERE 0xffffffffu
#define IOREGSEL 0x00
#define IOWIN 0x10
#define IOAPIC_MMIO_SIZE 0x20
#define IOAPICID 0x00
#define IOAPICVER 0x01
#define VER_MAX_REDIR(v) (((v) >> 16) & 0xff) /* number of entries - 1 */
#define IOREDTBL(n) (0x10 + 2 * (n))          /* low dword; high dword at +1 */
/* Redirection entry bits (datasheet §3.2.4) */
#define RTE_DEST_LOGICAL 0x800
#define RTE_DELIVERY_PENDING 0x1000
#define RTE_ACTIVE_LOW 0x2000
#define RTE_REMOTE_IRR 0x4000
#define RTE_LEVEL 0x8000
#define RTE_MASKED 0x10000
#define RTE_DEST_SHIFT 24 /* in the high dword */
/* clang-format on */

static struct ioapic {
    volatile uint32_t *regs;
    uint8_t id;
    uint32_t gsi_base;
    unsigned entries;
    struct spinlock lock; /* IOREGSEL then IOWIN: the pair must not be split */
} ioapics[IOAPIC_MAX];
static unsigned nioapics;

static uint32_t rd(struct ioapic *io, uint32_t reg)
{
    io->regs[IOREGSEL / 4] = reg;
    return io->regs[IOWIN / 4];
}

static void wr(struct ioapic *io, uint32_t reg, uint32_t v)
{
    io->regs[IOREGSEL / 4] = reg;
    io->regs[IOWIN / 4] = v;
}

static struct ioapic *owner(uint32_t gsi, unsigned *pin)
{
    for (unsigned i = 0; i < nioapics; i++) {
        struct ioapic *io = &ioapics[i];
        if (gsi >= io->gsi_base && gsi < io->gsi_base + io->entries) {
            *pin = gsi - io->gsi_base;
            return io;
        }
    }
    return NULL;
}

unsigned ioapic_count(void) { return nioapics; }

bool ioapic_has_gsi(uint32_t gsi)
{
    unsigned pin;
    return owner(gsi, &pin) != NULL;
}

bool ioapic_register(uint32_t id, uint32_t phys, uint32_t gsi_base)
{
    if (nioapics >= IOAPIC_MAX) {
        kprintf("ioapic: warning: more than %u I/O APICs; id %u at %#x skipped", IOAPIC_MAX, id,
                phys);
        return false;
    }
    struct ioapic *io = &ioapics[nioapics];
    io->regs = ioremap(phys, IOAPIC_MMIO_SIZE);
    io->id = id;
    io->gsi_base = gsi_base;
    uint32_t ver = rd(io, IOAPICVER);
    if (ver == IOAPIC_NOTHING_THERE) {
        kprintf("ioapic: warning: nothing answers at %#x (MADT id %u); skipped", phys, id);
        return false;
    }
    io->entries = VER_MAX_REDIR(ver) + 1;
    for (unsigned pin = 0; pin < io->entries; pin++) {
        wr(io, IOREDTBL(pin), RTE_MASKED);
        wr(io, IOREDTBL(pin) + 1, 0);
    }
    kprintf("ioapic: id %u at %#x, version 0x%x, gsi %u-%u, all %u entries masked", io->id, phys,
            ver & 0xff, io->gsi_base, io->gsi_base + io->entries - 1, io->entries);
    nioapics++;
    return true;
}

static uint32_t low_of(const struct rte *e)
{
    return e->vector | (uint32_t)e->delivery << APIC_DELIVERY_SHIFT |
           (e->active_low ? RTE_ACTIVE_LOW : 0) | (e->level ? RTE_LEVEL : 0) |
           (e->masked ? RTE_MASKED : 0);
}

bool ioapic_set(uint32_t gsi, const struct rte *e)
{
    unsigned pin;
    struct ioapic *io = owner(gsi, &pin);
    if (!io)
        return false;
    bool irqs = spin_lock(&io->lock);
    wr(io, IOREDTBL(pin), RTE_MASKED);
    wr(io, IOREDTBL(pin) + 1, (uint32_t)e->dest << RTE_DEST_SHIFT);
    wr(io, IOREDTBL(pin), low_of(e));
    spin_unlock(&io->lock, irqs);
    return true;
}

bool ioapic_set_dest(uint32_t gsi, uint8_t dest)
{
    unsigned pin;
    struct ioapic *io = owner(gsi, &pin);
    if (!io)
        return false;
    bool irqs = spin_lock(&io->lock);
    wr(io, IOREDTBL(pin) + 1, (uint32_t)dest << RTE_DEST_SHIFT);
    spin_unlock(&io->lock, irqs);
    return true;
}
