#include "apic/ipi.h"

#include "apic/lapic.h"
#include "core/console.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"

/* ICR fields (SDM vol. 3A figure 11-12) */
#define ICR_VECTOR_MASK 0xff
#define ICR_DEST_LOGICAL 0x800 /* unused: cadre sends in physical mode */
#define ICR_DELIVERY_PENDING 0x1000
#define ICR_LEVEL_ASSERT 0x4000
#define ICR_TRIGGER_LEVEL 0x8000
#define ICR_SHORTHAND_SHIFT 18
#define ICR_XAPIC_DEST_SHIFT 24 /* in ICR_HI */
#define ICR_X2APIC_DEST_SHIFT 32
#define ICR_X2APIC_MSR (X2APIC_MSR_BASE + LAPIC_ICR_LO / 16)
/* Generous: delivery takes well under a microsecond on hardware, longer under emulation. */
#define ICR_WAIT_US 100000

static uint32_t icr_low(const struct ipi *p)
{
    return p->vector | (uint32_t)p->delivery << APIC_DELIVERY_SHIFT |
           (p->level == IPI_ASSERT ? ICR_LEVEL_ASSERT : 0) |
           (p->trigger == IPI_LEVEL ? ICR_TRIGGER_LEVEL : 0) |
           (uint32_t)p->shorthand << ICR_SHORTHAND_SHIFT;
}

static bool wait_idle(void)
{
    uint64_t deadline = time_deadline_us(ICR_WAIT_US);
    while (lapic_read(LAPIC_ICR_LO) & ICR_DELIVERY_PENDING) {
        if (time_after(deadline))
            return false;
        cpu_relax();
    }
    return true;
}

/* The "all" shorthands reach every CPU on the APIC bus, also those that were never started or
 * failed bring-up: they sit in the firmware's wait-for-SIPI loop or in the trampoline with no
 * IDT, and an NMI or fixed IPI there ends in a triple fault.  So, as Linux does, the shorthands
 * are used only once SMP bring-up has found every CPU the firmware listed online; until then,
 * and whenever one is not, senders go to each online CPU by its APIC ID. */
static bool shorthands_ok;

void ipi_allow_shorthands(bool ok) { __atomic_store_n(&shorthands_ok, ok, __ATOMIC_RELEASE); }
bool ipi_shorthands_allowed(void) { return __atomic_load_n(&shorthands_ok, __ATOMIC_ACQUIRE); }

int ipi_send(const struct ipi *p)
{
    if ((p->shorthand == IPI_TO_ALL || p->shorthand == IPI_TO_ALL_BUT_SELF) &&
        !ipi_shorthands_allowed()) {
        kprintf("ipi: warning: cpu%u: an IPI to all%s was refused: not every listed cpu is online",
                cpu_id(), p->shorthand == IPI_TO_ALL ? "" : " but self");
        return -1;
    }
    uint32_t lo = icr_low(p);
    if (lapic_mode() == LAPIC_X2APIC) {
        /* One 64-bit write sends it; there is no delivery status (SDM vol. 3A §11.12.9).  A
         * WRMSR to an x2APIC register is not serializing and is not ordered after earlier
         * stores (SDM vol. 3A §11.12.3), so without a fence the IPI can reach its target before
         * the data it announces (a call slot, an NMI request) is visible there.  MFENCE orders
         * the stores, LFENCE keeps the WRMSR from starting before MFENCE is done (Linux's
         * weak_wrmsr_fence). */
        __asm__ volatile("mfence; lfence" ::: "memory");
        wrmsr(ICR_X2APIC_MSR, (uint64_t)p->dest << ICR_X2APIC_DEST_SHIFT | lo);
        return 0;
    }
    /* xAPIC: the write of ICR_LO sends, so the pair must not be split by an interrupt whose
     * handler sends too. */
    bool irqs = irq_save();
    bool ok = wait_idle();
    lapic_write(LAPIC_ICR_HI, p->dest << ICR_XAPIC_DEST_SHIFT);
    lapic_write(LAPIC_ICR_LO, lo);
    ok = wait_idle() && ok;
    irq_restore(irqs);
    if (!ok)
        kprintf("ipi: warning: cpu%u: ICR still busy %u us after sending 0x%x to apic %u", cpu_id(),
                ICR_WAIT_US, lo, p->dest);
    return ok ? 0 : -1;
}

int ipi_fixed(uint32_t apic_id, uint8_t vector)
{
    return ipi_send(&(struct ipi){
        .dest = apic_id, .delivery = DELIVERY_FIXED, .vector = vector, .level = IPI_ASSERT });
}

int ipi_self(uint8_t vector)
{
    return ipi_send(&(struct ipi){ .shorthand = IPI_TO_SELF,
                                   .delivery = DELIVERY_FIXED,
                                   .vector = vector,
                                   .level = IPI_ASSERT });
}

int ipi_nmi(uint32_t apic_id)
{
    return ipi_send(
        &(struct ipi){ .dest = apic_id, .delivery = DELIVERY_NMI, .level = IPI_ASSERT });
}

int ipi_nmi_all_but_self(void)
{
    return ipi_send(&(struct ipi){
        .shorthand = IPI_TO_ALL_BUT_SELF, .delivery = DELIVERY_NMI, .level = IPI_ASSERT });
}
