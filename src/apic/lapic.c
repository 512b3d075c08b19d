#include "apic/lapic.h"

#include "core/cmdline.h"
#include "core/console.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "cpu/vectors.h"
#include "debug/panic.h"
#include "lib/string.h"
#include "mm/paging.h"

#define LAPIC_MMIO_SIZE 0x1000
#define LAPIC_VERSION_MAXLVT(v) (((v) >> 16) & 0xff)
#define LVT_INDEX_PERF 4 /* the perf-counter LVT exists when MAXLVT >= 4 (SDM vol. 3A §11.5.1) */
#define LVT_INDEX_THERMAL 5

static enum lapic_mode mode = LAPIC_NONE;
static volatile uint32_t *mmio;
static bool force_xapic;
static uint64_t errors[MAX_CPUS];

/* LINT wiring by APIC ID (lapic_set_lints); `other` for a CPU the table does not name. */
static struct lint_entry {
    uint32_t apic_id;
    struct lapic_lint pin[LAPIC_LINT_PINS];
} lint_table[MAX_CPUS];
static unsigned nlints;
static struct lapic_lint lint_other[LAPIC_LINT_PINS] = { { .nmi = false }, { .nmi = true } };

void lapic_set_lints(uint32_t apic_id, struct lapic_lint lint0, struct lapic_lint lint1)
{
    if (nlints < MAX_CPUS)
        lint_table[nlints++] = (struct lint_entry){ .apic_id = apic_id, .pin = { lint0, lint1 } };
}

void lapic_set_lints_default(struct lapic_lint lint0, struct lapic_lint lint1)
{
    lint_other[0] = lint0;
    lint_other[1] = lint1;
}

static struct lapic_lint lint_of(uint32_t apic_id, unsigned pin)
{
    for (unsigned i = 0; i < nlints; i++)
        if (lint_table[i].apic_id == apic_id)
            return lint_table[i].pin[pin];
    return lint_other[pin];
}

static const char *param_apic(const char *v)
{
    if (v && !strcmp(v, "xapic"))
        force_xapic = true;
    else if (v && !strcmp(v, "auto"))
        force_xapic = false;
    else
        return "expected apic=xapic or apic=auto";
    return NULL;
}
KERNEL_PARAM("apic", param_apic,
             "xapic|auto: force the xAPIC (MMIO) mode, or use x2APIC where present");

enum lapic_mode lapic_mode(void) { return mode; }
const char *lapic_mode_name(void)
{
    return mode == LAPIC_X2APIC ? "x2APIC" : mode == LAPIC_XAPIC ? "xAPIC" : "none";
}

uint32_t lapic_read(unsigned reg)
{
    if (mode == LAPIC_X2APIC)
        return (uint32_t)rdmsr(X2APIC_MSR_BASE + reg / 16);
    return mmio[reg / 4];
}

void lapic_write(unsigned reg, uint32_t v)
{
    if (mode == LAPIC_X2APIC)
        wrmsr(X2APIC_MSR_BASE + reg / 16, v);
    else
        mmio[reg / 4] = v;
}

/* In x2APIC mode the ID register holds the whole 32-bit ID; in xAPIC mode bits 31-24
 * (SDM vol. 3A §11.4.6, §11.12.5.1). */
uint32_t lapic_id(void)
{
    uint32_t id = lapic_read(LAPIC_ID);
    return mode == LAPIC_X2APIC ? id : id >> 24;
}

void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }

/* The ISR and IRR are 256 bits each: 8 registers of 32 bits, LAPIC_BITMAP_STRIDE apart. */
bool lapic_in_service(unsigned v)
{
    return lapic_read(LAPIC_ISR + (v / 32) * LAPIC_BITMAP_STRIDE) >> (v % 32) & 1;
}
bool lapic_pending(unsigned v)
{
    return lapic_read(LAPIC_IRR + (v / 32) * LAPIC_BITMAP_STRIDE) >> (v % 32) & 1;
}

/* The highest vector set in one of the 256-bit registers (IRR, ISR), from the top word down;
 * -1 if none.  Vectors 0-15 are reserved and never set (SDM vol. 3A §11.5.2). */
static int highest_in(unsigned reg)
{
    for (unsigned w = NUM_VECTORS / 32; w-- > 0;) {
        uint32_t bits = lapic_read(reg + w * LAPIC_BITMAP_STRIDE);
        if (bits)
            return (int)(w * 32 + 31 - (unsigned)__builtin_clz(bits));
    }
    return -1;
}
int lapic_highest_pending(void) { return highest_in(LAPIC_IRR); }
int lapic_highest_in_service(void) { return highest_in(LAPIC_ISR); }

void lapic_quiesce(void)
{
    lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
    lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
    lapic_write(LAPIC_LVT_ERROR, LVT_MASKED | VEC_APIC_ERROR);
}

/* TPR bits 7-4 are the class, 3-0 a sub-class (SDM vol. 3A figure 11-18). */
void lapic_set_tpr_class(unsigned class) { lapic_write(LAPIC_TPR, (class & 0xf) << 4); }
unsigned lapic_tpr_class(void) { return lapic_read(LAPIC_TPR) >> 4 & 0xf; }

uint64_t lapic_error_count(unsigned cpu) { return cpu < MAX_CPUS ? errors[cpu] : 0; }

/* The spurious vector is not put in service, so it gets no EOI: an EOI here would retire
 * whatever else is in service (SDM vol. 3A §11.9). */
void lapic_spurious_interrupt(void)
{
    uint64_t n = ++this_cpu()->spurious_count;
    kprintf("apic: spurious interrupt (vector 0x%x) on cpu%u; no EOI (%llu so far)", VEC_SPURIOUS,
            cpu_id(), (unsigned long long)n);
}

void lapic_error_interrupt(void)
{
    /* A write arms the ESR to show what happened since the last write (SDM vol. 3A §11.5.3). */
    lapic_write(LAPIC_ESR, 0);
    uint32_t esr = lapic_read(LAPIC_ESR);
    errors[cpu_id()]++;
    kprintf("apic: error on cpu%u: ESR 0x%x%s%s%s%s%s%s%s%s", cpu_id(), esr,
            esr & ESR_SEND_CHECKSUM ? " send-checksum" : "",
            esr & ESR_RECV_CHECKSUM ? " receive-checksum" : "",
            esr & ESR_SEND_ACCEPT ? " send-accept" : "",
            esr & ESR_RECV_ACCEPT ? " receive-accept" : "",
            esr & ESR_REDIRECTABLE_IPI ? " redirectable-ipi" : "",
            esr & ESR_SEND_ILLEGAL_VECTOR ? " send-illegal-vector" : "",
            esr & ESR_RECV_ILLEGAL_VECTOR ? " receive-illegal-vector" : "",
            esr & ESR_ILLEGAL_REGISTER ? " illegal-register-address" : "");
}

void lapic_setup(uint64_t madt_address)
{
    struct cpuid_regs l1 = cpuid(1, 0);
    if (!(l1.edx & CPUID_1_EDX_APIC))
        panic("apic: this CPU has no local APIC (CPUID.1:EDX[9]); cadre needs one");
    uint64_t base = rdmsr(MSR_APIC_BASE);
    bool has_x2 = l1.ecx & CPUID_1_ECX_X2APIC;
    if (base & APIC_BASE_EXTD) {
        /* Leaving x2APIC mode means disabling the APIC first (SDM vol. 3A figure 11-27);
         * firmware that chose it (e.g. for > 255 CPUs) had a reason. */
        mode = LAPIC_X2APIC;
        if (force_xapic)
            kprintf("apic: warning: the firmware left the local APIC in x2APIC mode; apic=xapic "
                    "ignored");
    } else {
        mode = has_x2 && !force_xapic ? LAPIC_X2APIC : LAPIC_XAPIC;
    }
    uint64_t phys = base & APIC_BASE_ADDR_MASK;
    if (madt_address && madt_address != phys)
        kprintf("apic: warning: MADT says the local APIC is at %#llx, IA32_APIC_BASE says %#llx; "
                "using the MSR",
                (unsigned long long)madt_address, (unsigned long long)phys);
    if (mode == LAPIC_XAPIC)
        mmio = ioremap(phys, LAPIC_MMIO_SIZE);
    kprintf("apic: local APIC in %s mode (the CPU %s x2APIC)", lapic_mode_name(),
            has_x2 ? "has" : "has no");
    if (mode == LAPIC_XAPIC)
        kprintf("apic: xAPIC registers at %#llx, mapped uncached at %p", (unsigned long long)phys,
                (void *)mmio);
}

static uint32_t lint_value(unsigned pin)
{
    struct lapic_lint l = lint_of(this_cpu_read(apic_id), pin);
    if (!l.nmi)
        return LVT_MASKED;
    /* NMI delivery is always edge-sensitive (SDM vol. 3A §11.5.1): trigger is not set. */
    return LVT_DELIVERY(DELIVERY_NMI) | (l.active_low ? LVT_ACTIVE_LOW : 0);
}

void lapic_init(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    /* From disabled, enable first, then switch to x2APIC (SDM vol. 3A §11.12.5). */
    if (!(base & APIC_BASE_ENABLE))
        wrmsr(MSR_APIC_BASE, base |= APIC_BASE_ENABLE);
    if (mode == LAPIC_X2APIC && !(base & APIC_BASE_EXTD))
        wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);

    this_cpu_write(apic_id, lapic_id()); /* before the LINTs: the MADT names CPUs by APIC ID */
    unsigned maxlvt = LAPIC_VERSION_MAXLVT(lapic_read(LAPIC_VERSION));
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
    if (maxlvt >= LVT_INDEX_PERF)
        lapic_write(LAPIC_LVT_PERF, LVT_MASKED);
    if (maxlvt >= LVT_INDEX_THERMAL)
        lapic_write(LAPIC_LVT_THERMAL, LVT_MASKED);
    lapic_write(LAPIC_LVT_LINT0, lint_value(0));
    lapic_write(LAPIC_LVT_LINT1, lint_value(1));
    lapic_write(LAPIC_LVT_ERROR, VEC_APIC_ERROR);
    lapic_write(LAPIC_ESR, 0); /* clear errors from before (back-to-back writes, §11.5.3) */
    lapic_write(LAPIC_ESR, 0);
    lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
}
