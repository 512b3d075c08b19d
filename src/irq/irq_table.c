#include "irq/irq_table.h"

#include "apic/lapic.h"
#include "core/cmdline.h"
#include "core/console.h"
#include "cpu/percpu.h"
#include "debug/exceptions.h"
#include "irq/irq.h"
#include "irq/msi.h"
#include "irq/route.h"
#include "lib/printf.h"

#define COLUMNS 8

static bool print_at_ready;

static const char *param_table(const char *v)
{
    if (v)
        return "takes no value";
    print_at_ready = true;
    return NULL;
}
KERNEL_PARAM("irq.table", param_table,
             "print the interrupt counters table once the kernel is ready");

bool irq_table_requested(void) { return print_at_ready; }

static const char *row_name(unsigned v, char *buf, size_t size)
{
    const char *h = irq_handler_name(v);
    for (unsigned i = 0; i < ioapic_nroutes; i++) {
        if (ioapic_routes[i].vector == v) {
            snprintf(buf, size, "IRQ%-2u %s", ioapic_routes[i].irq, h ? h : "");
            return buf;
        }
    }
    if (v < NUM_EXCEPTIONS)
        return exception_mnemonic(v);
    if (h)
        return h;
    for (unsigned c = 0; c < ncpus_possible; c++)
        if (irq_own_desc(c, v))
            return "(cpus' own: msi)"; /* the msi rows below say whose */
    return "(no handler)";
}

static uint64_t field(unsigned cpu, unsigned row)
{
    struct percpu *pc = percpu_areas[cpu];
    switch (row) {
        case NUM_VECTORS: return pc->nmi_count;
        case NUM_VECTORS + 1: return pc->spurious_count;
        case NUM_VECTORS + 2: return lapic_error_count(cpu);
        default: return pc->vector_count[row];
    }
}

void irq_table_print(void)
{
    static const char *const extra[] = { "NMI", "spurious", "APIC errors" };
    /* One column per online CPU, as Linux's /proc/interrupts: an offline CPU takes nothing,
     * and its counts stay where they were until it is back. */
    static unsigned cols[MAX_CPUS];
    unsigned n = 0, gone = 0;
    for (unsigned c = 0; c < ncpus_possible; c++) {
        if (cpu_online(c))
            cols[n++] = c;
        else
            gone++;
    }
    char line[256], name[40];
    console_lock();
    if (gone)
        kprintf("irqs: %u of %u cpus are not online and have no column", gone, ncpus_possible);
    for (unsigned first = 0; first < n; first += COLUMNS) {
        unsigned last = MIN(first + COLUMNS, n);
        int o = snprintf(line, sizeof line, "irqs: %-4s %-26s", "vec", "source");
        for (unsigned i = first; i < last; i++)
            o += snprintf(line + o, sizeof line - (size_t)o, " %10s%-3u", "cpu", cols[i]);
        kprintf("%s", line);
        for (unsigned row = 0; row < NUM_VECTORS + ARRAY_SIZE(extra); row++) {
            uint64_t any = 0;
            for (unsigned i = 0; i < n; i++)
                any |= field(cols[i], row);
            /* Like /proc/interrupts: every vector with a handler, counted or not yet (a table
             * printed at boot may come before the first timer tick), and any vector that was
             * taken without one. */
            if (!any && !(row < NUM_VECTORS && irq_handler_name(row)))
                continue;
            if (row < NUM_VECTORS)
                o = snprintf(line, sizeof line, "irqs: 0x%02x %-26.26s", row,
                             row_name(row, name, sizeof name));
            else
                o = snprintf(line, sizeof line, "irqs: %-4s %-26s", "-", extra[row - NUM_VECTORS]);
            for (unsigned i = first; i < last; i++)
                o += snprintf(line + o, sizeof line - (size_t)o, " %13llu",
                              (unsigned long long)field(cols[i], row));
            kprintf("%s", line);
        }
        /* Message-signalled vectors, one row each: their vector differs from CPU to CPU, and
         * moves, so the row is the source's own count, on the CPU that took each. */
        for (unsigned i = 0; i < msi_nirqs; i++) {
            const struct msi_irq *m = &msi_irqs[i];
            snprintf(name, sizeof name, "%s %s", m->source, m->name);
            o = snprintf(line, sizeof line, "irqs: %-4s %-26.26s", "msi", name);
            for (unsigned i = first; i < last; i++)
                o += snprintf(line + o, sizeof line - (size_t)o, " %13llu",
                              (unsigned long long)m->counts[cols[i]]);
            kprintf("%s", line);
        }
    }
    console_unlock();
}
