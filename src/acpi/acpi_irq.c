/* ISA IRQs as the MADT's interrupt source overrides route them (ACPI 6.5 §5.2.12.5), and the
 * LINT pins its local APIC NMI entries wire to NMI (§5.2.12.7, §5.2.12.13). */
#include "acpi/acpi_tables.h"

/* The bus an override names: ISA is the only one ACPI defines (Table 5.25, "Bus"). */
#define ACPI_BUS_ISA 0

/* ISA interrupts are edge triggered and active high (ACPI 6.5 §5.2.12.5). */
#define ISA_DEFAULT_LOW false
#define ISA_DEFAULT_LEVEL false

bool acpi_iso_active_low(uint16_t flags, bool bus_default_low)
{
    switch (flags & ACPI_INTI_POLARITY_MASK) {
        case ACPI_INTI_POLARITY_HIGH: return false;
        case ACPI_INTI_POLARITY_LOW: return true;
        default: /* 00 conforms to the bus; 10 is reserved */ return bus_default_low;
    }
}

bool acpi_iso_level(uint16_t flags, bool bus_default_level)
{
    switch (flags & ACPI_INTI_TRIGGER_MASK) {
        case ACPI_INTI_TRIGGER_EDGE: return false;
        case ACPI_INTI_TRIGGER_LEVEL: return true;
        default: /* 00 conforms to the bus; 10 is reserved */ return bus_default_level;
    }
}

static const struct acpi_iso *isa_override(const struct acpi_info *ai, unsigned irq)
{
    for (unsigned i = 0; i < ai->nisos; i++)
        if (ai->isos[i].bus == ACPI_BUS_ISA && ai->isos[i].irq == irq)
            return &ai->isos[i];
    return NULL;
}

int acpi_isa_irq_to_gsi(const struct acpi_info *ai, unsigned irq, uint32_t *gsi, bool *active_low,
                        bool *level)
{
    if (irq >= ACPI_ISA_IRQS)
        return -1;
    const struct acpi_iso *o = isa_override(ai, irq);
    if (o) {
        *gsi = o->gsi;
        *active_low = acpi_iso_active_low(o->flags, ISA_DEFAULT_LOW);
        *level = acpi_iso_level(o->flags, ISA_DEFAULT_LEVEL);
        return 0;
    }
    /* Without an override the IRQ is identity mapped, unless another IRQ took that GSI. */
    for (unsigned i = 0; i < ai->nisos; i++)
        if (ai->isos[i].bus == ACPI_BUS_ISA && ai->isos[i].gsi == irq)
            return -1;
    *gsi = irq;
    *active_low = ISA_DEFAULT_LOW;
    *level = ISA_DEFAULT_LEVEL;
    return 0;
}

bool acpi_lint_nmi(const struct acpi_info *ai, const struct acpi_cpu *cpu, unsigned pin,
                   uint16_t *flags)
{
    bool nmi = false;
    for (unsigned i = 0; i < ai->nlapic_nmis; i++) {
        const struct acpi_lapic_nmi *n = &ai->lapic_nmis[i];
        if (n->lint != pin || (!n->all && (!cpu || cpu->uid != n->uid)))
            continue;
        nmi = true;
        *flags = n->flags;
    }
    return nmi;
}
