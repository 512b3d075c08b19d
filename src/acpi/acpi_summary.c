/* What acpi_parse() found, as lines for the boot log. */
#include "acpi/acpi_internal.h"
#include "acpi/acpi_tables.h"

#ifdef CADRE_HOST
#include <stdarg.h>
#include <stdio.h>
#else
#include <stdarg.h>

#include "lib/printf.h"
#endif

#define SUMMARY_LINE_LEN 160
#define TABLES_PER_LINE_LEN 100 /* a long table list goes on in another line */

struct out {
    void (*line)(void *ctx, const char *text);
    void *ctx;
    char buf[SUMMARY_LINE_LEN];
    size_t len;
};

__printf(2, 3) static void add(struct out *o, const char *fmt, ...)
{
    if (o->len >= sizeof o->buf - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, sizeof o->buf - o->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len = MIN(o->len + (size_t)n, sizeof o->buf - 1);
}

static void emit(struct out *o)
{
    o->line(o->ctx, o->buf);
    o->len = 0;
    o->buf[0] = '\0';
}

static const char *polarity(uint16_t flags)
{
    return acpi_iso_active_low(flags, false) ? "low" : "high";
}

static const char *trigger(uint16_t flags)
{
    return acpi_iso_level(flags, false) ? "level" : "edge";
}

static void rsdp_lines(struct out *o, const struct acpi_info *ai)
{
    add(o, "acpi: RSDP rev %u (ACPI %s), %s at 0x%llx, OEM %s", ai->rsdp_revision,
        ai->rsdp_revision >= ACPI_RSDP_REV_XSDT ? "2.0+" : "1.0",
        ai->root_is_xsdt ? "XSDT" : "RSDT", (unsigned long long)ai->root_phys, ai->oem_id);
    emit(o);
    add(o, "acpi: tables:");
    for (unsigned i = 0; i < ai->ntables; i++) {
        if (o->len > TABLES_PER_LINE_LEN) {
            emit(o);
            add(o, "acpi: tables:");
        }
        add(o, " %s%s", ai->tables[i].sig, ai->tables[i].valid ? "" : "(bad)");
    }
    emit(o);
}

/* Firmware quirks the MADT walk counted instead of reporting each (acpi_madt.c): one line. */
static void placeholder_line(struct out *o, const struct acpi_info *ai)
{
    unsigned repeated = ai->madt_repeated_placeholders.count,
             broadcast = ai->madt_broadcast_placeholders;
    if (!repeated && !broadcast)
        return;
    add(o, "acpi: MADT: ignored disabled placeholder entries:");
    if (repeated)
        add(o, " %u repeating a listed APIC ID (first 0x%x)%s", repeated,
            ai->madt_repeated_placeholders.first_apic_id, broadcast ? "," : "");
    if (broadcast)
        add(o, " %u with the broadcast APIC ID", broadcast);
    emit(o);
}

static void madt_lines(struct out *o, const struct acpi_info *ai, bool verbose)
{
    unsigned enabled = 0, capable = 0, x2apic = 0;
    for (unsigned i = 0; i < ai->ncpus; i++) {
        enabled += ai->cpus[i].enabled;
        capable += ai->cpus[i].online_capable;
        x2apic += ai->cpus[i].x2apic;
    }
    add(o, "acpi: MADT: %u cpus (%u enabled", ai->ncpus, enabled);
    if (capable)
        add(o, ", %u online-capable", capable);
    if (x2apic)
        add(o, ", %u x2apic", x2apic);
    add(o, "), lapic 0x%llx%s%s", (unsigned long long)ai->lapic_address,
        ai->lapic_address_overridden ? " (override)" : "", ai->pcat_compat ? ", pcat_compat" : "");
    emit(o);
    placeholder_line(o, ai);
    for (unsigned i = 0; verbose && i < ai->ncpus; i++) {
        const struct acpi_cpu *c = &ai->cpus[i];
        add(o, "acpi: MADT: cpu %s 0x%x uid %u %s", c->x2apic ? "x2apic" : "apic", c->apic_id,
            c->uid,
            c->enabled          ? "enabled"
            : c->online_capable ? "online-capable"
                                : "disabled");
        emit(o);
    }
    for (unsigned i = 0; i < ai->nioapics; i++) {
        const struct acpi_ioapic *io = &ai->ioapics[i];
        add(o, "acpi: MADT: ioapic id %u at 0x%x gsi base %u", io->id, io->address, io->gsi_base);
        emit(o);
    }
    for (unsigned i = 0; i < ai->nisos; i++) {
        const struct acpi_iso *iso = &ai->isos[i];
        add(o, "acpi: MADT: override ");
        if (iso->bus)
            add(o, "bus %u ", iso->bus);
        add(o, "irq %u -> gsi %u (%s, %s)", iso->irq, iso->gsi, trigger(iso->flags),
            polarity(iso->flags));
        emit(o);
    }
    for (unsigned i = 0; i < ai->nnmis; i++) {
        add(o, "acpi: MADT: nmi source gsi %u (%s, %s)", ai->nmis[i].gsi,
            trigger(ai->nmis[i].flags), polarity(ai->nmis[i].flags));
        emit(o);
    }
    if (!verbose && ai->nlapic_nmis) {
        add(o, "acpi: MADT: %u local APIC NMI entries (acpi.verbose lists them)", ai->nlapic_nmis);
        emit(o);
    }
    for (unsigned i = 0; verbose && i < ai->nlapic_nmis; i++) {
        const struct acpi_lapic_nmi *n = &ai->lapic_nmis[i];
        add(o, "acpi: MADT: %s nmi uid 0x%x%s lint%u", n->x2apic ? "x2apic" : "lapic", n->uid,
            n->all ? " (all)" : "", n->lint);
        emit(o);
    }
}

static void gas_text(struct out *o, const char *name, const struct acpi_gas *g)
{
    if (!g->address)
        return;
    add(o, ", %s %s0x%llx", name, g->space_id == ACPI_GAS_SYSTEM_MEMORY ? "mmio " : "",
        (unsigned long long)g->address);
}

static void fadt_line(struct out *o, const struct acpi_info *ai)
{
    add(o, "acpi: FADT: rev %u, sci %u", ai->fadt_revision, ai->sci_int);
    if (ai->pm_timer.address) {
        gas_text(o, "pm timer", &ai->pm_timer);
        add(o, " (%s)", ai->pm_timer_32bit ? "32-bit" : "24-bit");
    } else {
        add(o, ", no pm timer");
    }
    gas_text(o, "pm1a_cnt", &ai->pm1a_cnt);
    gas_text(o, "pm1b_cnt", &ai->pm1b_cnt);
    if (ai->s5_valid)
        add(o, ", S5 slp_typ %u/%u", ai->s5_slp_typ_a, ai->s5_slp_typ_b);
    else
        add(o, ", no S5");
    if (ai->has_reset)
        add(o, ", reset %s0x%llx=0x%x",
            ai->reset_reg.space_id == ACPI_GAS_SYSTEM_MEMORY ? "mmio " : "",
            (unsigned long long)ai->reset_reg.address, ai->reset_value);
    if (ai->fadt_flags & ACPI_FADT_HW_REDUCED)
        add(o, ", hw-reduced");
    emit(o);
}

void acpi_info_summary(const struct acpi_info *ai, bool verbose,
                       void (*line)(void *ctx, const char *text), void *ctx)
{
    struct out o = { .line = line, .ctx = ctx };
    if (ai->root_phys)
        rsdp_lines(&o, ai);
    if (ai->has_madt)
        madt_lines(&o, ai, verbose);
    if (ai->has_fadt)
        fadt_line(&o, ai);
    if (ai->has_hpet) {
        add(&o, "acpi: HPET at 0x%llx, %u comparators, %u-bit counter, min tick %u",
            (unsigned long long)ai->hpet_address, ai->hpet_comparators,
            ai->hpet_counter_64 ? 64 : 32, ai->hpet_min_tick);
        emit(&o);
    }
    for (unsigned i = 0; i < ai->nmcfg; i++) {
        add(&o, "acpi: MCFG: ecam 0x%llx segment %u buses %u-%u",
            (unsigned long long)ai->mcfg[i].base, ai->mcfg[i].segment, ai->mcfg[i].bus_start,
            ai->mcfg[i].bus_end);
        emit(&o);
    }
    for (unsigned i = 0; i < ai->nproblems && i < ACPI_MAX_PROBLEMS; i++)
        line(ctx, ai->problems[i]);
    if (ai->nproblems > ACPI_MAX_PROBLEMS) {
        add(&o, "acpi: %u more problems not shown", ai->nproblems - ACPI_MAX_PROBLEMS);
        emit(&o);
    }
}
