#include "acpi/acpi_boot.h"

#include "acpi/mptable.h"
#include "apic/ioapic.h"

#include "apic/lapic.h"
#include "boot/bootinfo.h"
#include "core/cmdline.h"
#include "core/console.h"
#include "core/power.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "lib/string.h"
#include "mm/paging.h"

struct acpi_info acpi;
bool acpi_ok;
static bool verbose;

/* PM1 control register bits (ACPI 6.5 table 4.13) */
#define PM1_SCI_EN 0x0001
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_EN 0x2000
#define ACPI_ENABLE_WAIT_US 300000

static const char *param_verbose(const char *v)
{
    if (v)
        return "takes no value";
    verbose = true;
    return NULL;
}
KERNEL_PARAM("acpi.verbose", param_verbose, "list every MADT processor entry at boot");

/* Firmware tables are RAM the direct map covers (at least the first 4 GiB). */
static const void *map(uint64_t phys, size_t len, void *ctx)
{
    (void)ctx;
    return paging_direct_mapped(phys, len) ? phys_to_virt(phys) : NULL;
}

static void print_line(void *ctx, const char *text)
{
    (void)ctx;
    kprintf("%s", text);
}

const struct acpi_cpu *acpi_cpu_by_apic_id(uint32_t apic_id)
{
    for (unsigned i = 0; i < acpi.ncpus; i++)
        if (acpi.cpus[i].apic_id == apic_id)
            return &acpi.cpus[i];
    return NULL;
}

/* LINT pins from the MADT's local APIC NMI entries for a CPU's UID, or for all (cpu NULL: one
 * the MADT does not list). */
static struct lapic_lint lint_from_madt(const struct acpi_cpu *cpu, unsigned pin)
{
    struct lapic_lint l = { 0 };
    uint16_t flags;
    if (acpi_lint_nmi(&acpi, cpu, pin, &flags)) {
        l.nmi = true;
        l.active_low = acpi_iso_active_low(flags, false);
        l.level = acpi_iso_level(flags, false);
    }
    return l;
}

/* Hands the local APIC driver every listed CPU's LINT wiring, by APIC ID, before any CPU but
 * the BSP runs lapic_init (the BSP's runs later too, in cpu_init). */
static void lint_table(void)
{
    lapic_set_lints_default(lint_from_madt(NULL, 0), lint_from_madt(NULL, 1));
    for (unsigned i = 0; i < acpi.ncpus; i++)
        lapic_set_lints(acpi.cpus[i].apic_id, lint_from_madt(&acpi.cpus[i], 0),
                        lint_from_madt(&acpi.cpus[i], 1));
}

/* The I/O APICs the MADT lists, to their driver (Linux's mp_register_ioapic). */
void acpi_register_ioapics(void)
{
    for (unsigned i = 0; i < acpi.nioapics; i++)
        ioapic_register(acpi.ioapics[i].id, acpi.ioapics[i].address, acpi.ioapics[i].gsi_base);
}

/* ACPI 6.5 §7.4.2.5 and §4.8.3.2.1: SLP_TYPx with SLP_EN into PM1a (and PM1b) control. */
static bool s5(void)
{
    if (!acpi_ok || !acpi.s5_valid || acpi.pm1a_cnt.space_id != ACPI_GAS_SYSTEM_IO ||
        !acpi.pm1a_cnt.address)
        return false;
    uint16_t a = (uint16_t)acpi.pm1a_cnt.address;
    if (!(inw(a) & PM1_SCI_EN) && acpi.smi_cmd && acpi.acpi_enable) {
        outb((uint16_t)acpi.smi_cmd, acpi.acpi_enable);
        uint64_t deadline = time_deadline_us(ACPI_ENABLE_WAIT_US);
        while (!(inw(a) & PM1_SCI_EN) && !time_after(deadline))
            cpu_relax();
    }
    kprintf("cadre: ACPI S5 (SLP_TYP %u/%u)", acpi.s5_slp_typ_a, acpi.s5_slp_typ_b);
    if (acpi.pm1b_cnt.address && acpi.pm1b_cnt.space_id == ACPI_GAS_SYSTEM_IO) {
        uint16_t b = (uint16_t)acpi.pm1b_cnt.address;
        outw(b, (inw(b) & ~(7u << PM1_SLP_TYP_SHIFT)) | acpi.s5_slp_typ_b << PM1_SLP_TYP_SHIFT |
                    PM1_SLP_EN);
    }
    outw(a, (inw(a) & ~(7u << PM1_SLP_TYP_SHIFT)) | acpi.s5_slp_typ_a << PM1_SLP_TYP_SHIFT |
                PM1_SLP_EN);
    udelay(100000);
    return false; /* still running: S5 did not take */
}

/* IMCR (MP spec §3.6.2.1): selected through port 0x22, written through 0x23; bit 0 set routes
 * the 8259's INTR and NMI through the local APIC (symmetric I/O mode). */
#define IMCR_SELECT_PORT 0x22
#define IMCR_DATA_PORT 0x23
#define IMCR_REGISTER 0x70
#define IMCR_APIC_MODE 0x01
/* CPUID.1:EBX[23:16]: logical processors a package may hold, valid when EDX.HTT (bit 28) */
#define CPUID_1_EDX_HTT (1u << 28)
#define CPUID_1_EBX_LOGICAL(ebx) (((ebx) >> 16) & 0xff)

/* Without ACPI: the Intel MP table in place of the MADT, as Linux and xv6 fall back to it. */
static bool mptable_init(const char *why)
{
    uint64_t fp;
    if (mp_find_floating(map, NULL, &fp)) {
        kprintf("acpi: warning: %s, and no MP table in the EBDA, base memory or BIOS ROM: only "
                "cpu0 runs, "
                "with its local APIC timer; no I/O APIC, so no device interrupts (PIT, keyboard, "
                "COM1 input, "
                "RTC)",
                why);
        return false;
    }
    acpi_ok = mp_parse(fp, map, NULL, &acpi) == 0;
    kprintf("acpi: %s; using the Intel MP table", why);
    mp_info_summary(&acpi, verbose || acpi.ncpus <= 16, print_line, NULL);
    if (!acpi_ok) {
        /* What a broken table listed is not used (ioapic_init reads acpi.ioapics). */
        acpi.ncpus = acpi.nioapics = acpi.nisos = acpi.nnmis = acpi.nlapic_nmis = 0;
        kprintf("acpi: warning: the MP table is unusable: only cpu0 runs, with its local APIC "
                "timer; no I/O "
                "APIC, so no device interrupts (PIT, keyboard, COM1 input, RTC)");
        return false;
    }
    if (acpi.mp.imcr) {
        outb(IMCR_SELECT_PORT, IMCR_REGISTER);
        outb(IMCR_DATA_PORT, IMCR_APIC_MODE);
        kprintf("mptable: IMCR switched to symmetric I/O mode");
    }
    /* MP spec §3.6.1 (and SeaBIOS) list one processor per package: its other logical
     * processors, which only ACPI would name, are not started. */
    struct cpuid_regs l1 = cpuid(1, 0);
    unsigned per_pkg = l1.edx & CPUID_1_EDX_HTT ? CPUID_1_EBX_LOGICAL(l1.ebx) : 1;
    if (per_pkg > 1)
        kprintf("mptable: note: a package may hold %u logical cpus (CPUID.1:EBX); the MP table "
                "lists %u "
                "cpus, and those it does not list are not started",
                per_pkg, acpi.ncpus);
    if (acpi.nlapic_nmis)
        lint_table();
    return true;
}

void acpi_init(void)
{
    uint8_t rsdp[MB2_RSDP_MAX];
    size_t len = boot_info.rsdp_len;
    const char *from = "the multiboot2 tag";
    if (len) {
        memcpy(rsdp, boot_info.rsdp, len);
    } else if (boot_info.efi) {
        /* UEFI has no EBDA and need not shadow anything at 0xE0000; the RSDP is in the EFI
         * configuration table (UEFI 2.10 §4.6), which GRUB copies into tags 14/15. */
        kprintf(
            "acpi: warning: no RSDP tag from the loader, and under UEFI there is no BIOS area to "
            "search (EBDA, 0xE0000-0xFFFFF): skipped; one CPU, legacy interrupts");
        return;
    } else {
        uint64_t phys;
        if (acpi_find_rsdp_bios(map, NULL, &phys)) {
            mptable_init("no RSDP from the loader or in the BIOS areas");
            return;
        }
        /* The RSDP's own revision says whether it is 20 or 36 bytes (ACPI 6.5 §5.2.5.3). */
        const uint8_t *p = map(phys, 36, NULL);
        if (!p) {
            kprintf("acpi: warning: the RSDP at %#llx is not mapped", (unsigned long long)phys);
            mptable_init("no usable RSDP");
            return;
        }
        len = p[15] >= 2 ? 36 : 20;
        memcpy(rsdp, p, len);
        from = "the BIOS area scan";
    }
    acpi_ok = acpi_parse(rsdp, len, map, NULL, &acpi) == 0;
    kprintf("acpi: RSDP from %s", from);
    acpi_info_summary(&acpi, verbose || acpi.ncpus <= 16, print_line, NULL);
    if (!acpi_ok) {
        /* Nothing of the tables is kept: the MP table's reader starts from a clean slate. */
        mptable_init("the ACPI tables are unusable");
        return;
    }
    if (acpi.s5_valid)
        power_register_off("ACPI S5", s5);
    if (acpi.nlapic_nmis)
        lint_table();
}
