#include "smp/smp.h"

#include "acpi/acpi_boot.h"
#include "apic/ipi.h"
#include "apic/lapic.h"
#include "boot/bootinfo.h"
#include "core/cmdline.h"
#include "core/console.h"
#include "core/time.h"
#include "cpu/cmos.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "cpu/spinlock.h"
#include "cpu/vectors.h"
#include "debug/panic.h"
#include "irq/irq.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/paging.h"
#include "mm/pmm.h"
#include "smp/bringup.h"
#include "smp/cpu_areas.h"
#include "smp/cpu_init.h"
#include "smp/trampoline.h"

/* Delays (MP spec B.4 and SDM vol. 3A §9.4.4.1): 10 ms after INIT, 200 us after each SIPI.
 * The fast path (Linux's default on CPUs from the P6 family on, and in every VM) skips the
 * INIT delay: integrated local APICs accept the SIPI as soon as INIT is done, and the 10 ms
 * exists for the external 82489DX.  It waits 10 us after the first SIPI and sends the second
 * only to APs that have not yet shown life. */
#define INIT_DELAY_US 10000
#define SIPI_DELAY_SPEC_US 200
#define SIPI_DELAY_FAST_US 10
/* How long an AP has to reach the trampoline's 64-bit code after its SIPIs, and to finish
 * cpu_init after that (per AP in serial mode; in parallel mode plus a share per AP). */
#define ALIVE_TIMEOUT_US 500000
#define ONLINE_TIMEOUT_US 2000000
#define PARALLEL_PER_AP_US 20000
#define ONLINE_SPIN_US 200

enum { DELAYS_FAST, DELAYS_SPEC };
static int delays = DELAYS_FAST;
static bool parallel = true;
static unsigned maxcpus = MAX_CPUS;

static struct smp_boot_entry boot_table[MAX_CPUS];
static unsigned online = 1;
/* The CPUs the BSP waits for: only the AP that completes that wait sends the wake IPI (each wake
 * is a host thread wake-up under TCG, 254 of them at -smp 255): in serial mode the one AP
 * waited for, by number (a count could be held up by an earlier AP still between its state
 * change and its count); in parallel mode the AP whose count brings `online` to all of them.
 * The BSP's own tick bounds its wait where an AP never comes. */
static unsigned wake_first = UINT32_MAX, wake_last;
static uint32_t wake_apic; /* the CPU that waits: the BSP at boot, the caller of smp_start_cpu */
static uint64_t bringup_us;
/* What the shorthand rule is decided on (shorthands_decide): the CPUs the MADT lists as
 * enabled, and the unlisted ones that answered a SIPI. */
static unsigned listed_cpus = 1, stray_cpus;

static const char *param_bringup(const char *v)
{
    if (v && !strcmp(v, "parallel"))
        parallel = true;
    else if (v && !strcmp(v, "serial"))
        parallel = false;
    else
        return "expected smp.bringup=parallel or smp.bringup=serial";
    return NULL;
}
KERNEL_PARAM("smp.bringup", param_bringup,
             "parallel|serial: wake all APs at once (default) or one after the other");

static const char *param_delays(const char *v)
{
    if (v && !strcmp(v, "fast"))
        delays = DELAYS_FAST;
    else if (v && !strcmp(v, "spec"))
        delays = DELAYS_SPEC;
    else
        return "expected smp.delays=fast or smp.delays=spec";
    return NULL;
}
KERNEL_PARAM("smp.delays", param_delays,
             "fast|spec: skip the 10 ms INIT delay (default) or keep the MP spec's delays");

static const char *param_maxcpus(const char *v)
{
    return parse_uint_range(v, 1, MAX_CPUS, &maxcpus) ? "expected smp.maxcpus=1..512" : NULL;
}
KERNEL_PARAM("smp.maxcpus", param_maxcpus, "N: bring up at most N CPUs, the BSP included");

unsigned smp_online_count(void) { return READ_ONCE(online); }

static void wake_ipi(struct regs *r, void *data) { (void)r, (void)data; }

/* The trampoline's page tables: the kernel half shared with the kernel's, plus the first 2 MiB
 * identity-mapped so that the trampoline keeps running when it turns paging on.  All below
 * 4 GiB: the 32-bit code loads CR3 from 32 bits. */
static uint64_t trampoline_cr3(void)
{
    uint64_t pml4 = pmm_alloc_page(), pdpt = pmm_alloc_page(), pd = pmm_alloc_page();
    if (!pml4 || !pdpt || !pd || pml4 >= (1ULL << 32))
        return 0;
    const uint64_t *kernel = phys_to_virt(paging_kernel_cr3());
    uint64_t *t = phys_to_virt(pml4);
    for (unsigned i = PML4_KERNEL_FIRST; i < PT_ENTRIES; i++) /* the kernel's half, shared */
        t[i] = kernel[i];
    t[0] = pdpt | PTE_P | PTE_W;
    ((uint64_t *)phys_to_virt(pdpt))[0] = pd | PTE_P | PTE_W;
    ((uint64_t *)phys_to_virt(pd))[0] = 0 | PTE_P | PTE_W | PTE_PS;
    return pml4;
}

/* The trampoline's page: chosen from the memory map by pmm_init (mm/pmm.h). */
static uint64_t trampoline_phys;

/* The warm-reset path (CMOS shutdown code, the vector at 40:67) is the BIOS's: under UEFI there
 * is no BIOS data area and nothing reads the code on an INIT, so it is neither set nor reset. */
static bool bios_warm_reset(void) { return !boot_info.efi; }

static bool trampoline_install(void)
{
    trampoline_phys = pmm_low_page();
    if (!trampoline_phys) {
        kprintf("smp: warning: no page below 1 MiB for the AP trampoline (see the pmm: line); APs "
                "not started");
        return false;
    }
    uint64_t cr3 = trampoline_cr3();
    if (!cr3) {
        kprintf(
            "smp: warning: no memory below 4 GiB for the trampoline page tables; APs not started");
        return false;
    }
    uint8_t *page = phys_to_virt(trampoline_phys);
    memcpy(page, trampoline_start, (size_t)(trampoline_end - trampoline_start));
    struct trampoline_params *p = (struct trampoline_params *)(page + TP_PARAMS);
    /* Accessed bits preset, so the CPU never needs to write the GDT (a CPU that must set an
     * Accessed bit writes the GDT, which may be read-only, and faults: SDM vol. 3A §3.4.5.1). */
    p->gdt[0] = 0;
    p->gdt[TGDT_CODE32 / 8] =
        DESC_P | DESC_S | DESC_EXEC | DESC_RW | DESC_A | DESC_DB | DESC_G | DESC_LIMIT_MAX;
    p->gdt[TGDT_DATA / 8] = DESC_P | DESC_S | DESC_RW | DESC_A | DESC_DB | DESC_G | DESC_LIMIT_MAX;
    p->gdt[TGDT_CODE64 / 8] = DESC_P | DESC_S | DESC_EXEC | DESC_RW | DESC_A | DESC_L;
    p->gdtr_limit = sizeof p->gdt - 1;
    p->gdtr_base = (uint32_t)trampoline_phys + TP_GDT;
    p->far32_offset =
        (uint32_t)trampoline_phys + (uint32_t)(trampoline_protected_mode - trampoline_start);
    p->far32_selector = TGDT_CODE32;
    p->far64_offset =
        (uint32_t)trampoline_phys + (uint32_t)(trampoline_long_mode - trampoline_start);
    p->far64_selector = TGDT_CODE64;
    p->cr3 = (uint32_t)cr3;
    p->efer = EFER_LME | (cpu_protections.nx ? EFER_NXE : 0);
    p->kernel_cr3 = paging_kernel_cr3();
    extern char ap_start[];
    p->entry64 = (uintptr_t)ap_start;
    p->table = (uintptr_t)boot_table;
    p->count = 0;
    p->strays = 0;

    kprintf("smp: trampoline at %#lx (STARTUP IPI vector %#lx)%s", (unsigned long)trampoline_phys,
            (unsigned long)(trampoline_phys >> PAGE_SHIFT),
            bios_warm_reset() ? "" : "; UEFI: no BIOS warm-reset vector (CMOS 0FH, 40:67) set");
    return true;
}

/* MP spec B.4: where an AP goes after an INIT on systems whose BIOS takes the warm-reset path
 * (CMOS shutdown code 0AH, then a far jump through 40:67).  Set for each bring-up (at boot, and
 * for a CPU brought back online), and undone after it (warm_reset_restore). */
static void warm_reset_set(void)
{
    if (!bios_warm_reset())
        return;
    cmos_write(CMOS_SHUTDOWN_STATUS, CMOS_SHUTDOWN_JMP_WARM);
    volatile uint16_t *warm = phys_to_virt(WARM_RESET_VECTOR);
    warm[0] = 0;                                /* offset */
    warm[1] = (uint16_t)(trampoline_phys >> 4); /* segment */
}

/* Undoes the warm-reset set-up once bring-up is over (Linux does the same after each AP): left
 * at 0AH, the next reset of the machine (a reboot, a triple fault) on a BIOS that honours the
 * shutdown code would skip POST and jump into the trampoline page, long since stale. */
static void warm_reset_restore(void)
{
    if (!bios_warm_reset())
        return;
    cmos_write(CMOS_SHUTDOWN_STATUS, CMOS_SHUTDOWN_NORMAL);
    volatile uint16_t *warm = phys_to_virt(WARM_RESET_VECTOR);
    warm[0] = 0;
    warm[1] = 0;
}

static struct trampoline_params *params(void)
{
    return (struct trampoline_params *)((uint8_t *)phys_to_virt(trampoline_phys) + TP_PARAMS);
}

static void send_init(uint32_t apic_id)
{
    ipi_send(&(struct ipi){
        .dest = apic_id, .delivery = DELIVERY_INIT, .level = IPI_ASSERT, .trigger = IPI_LEVEL });
    if (delays == DELAYS_SPEC)
        udelay(INIT_DELAY_US);
    ipi_send(&(struct ipi){
        .dest = apic_id, .delivery = DELIVERY_INIT, .level = IPI_DEASSERT, .trigger = IPI_LEVEL });
}

static void send_sipi(uint32_t apic_id)
{
    ipi_send(&(struct ipi){ .dest = apic_id,
                            .delivery = DELIVERY_STARTUP,
                            .vector = (uint8_t)(trampoline_phys >> PAGE_SHIFT),
                            .level = IPI_ASSERT });
}

static unsigned sipi_delay(void)
{
    return delays == DELAYS_SPEC ? SIPI_DELAY_SPEC_US : SIPI_DELAY_FAST_US;
}

/* Waits for the trampoline: `pause` with a short back-off.  Under TCG each `pause` leaves the
 * translated code, so a long back-off (it was 4096) made the BSP notice an AP ~150 us late. */
#define ALIVE_BACKOFF_MAX 64
static bool wait_alive(const struct smp_boot_entry *e, uint64_t us)
{
    uint64_t deadline = time_deadline_us(us);
    struct backoff b = { 1, ALIVE_BACKOFF_MAX };
    while (!READ_ONCE(e->alive)) {
        if (time_after(deadline))
            return false;
        backoff_wait(&b);
    }
    return true;
}

static bool all_settled(unsigned first, unsigned last)
{
    for (unsigned c = first; c <= last; c++)
        if (!cpu_online(c) && READ_ONCE(per_cpu(c, state)) != CPU_FAILED)
            return false;
    return true;
}

/* Waits for APs to come online: first a short spin (`spin_us`: an AP that has reached the
 * trampoline needs about 10-20 us of cpu_init under TCG, far less than a halted vCPU's wake-up
 * on a busy host), then `hlt`, so that under TCG the BSP leaves the host cores to the APs; the
 * last AP's wake IPI, or the BSP's tick, ends each halt. */
static void wait_online(unsigned first, unsigned last, uint64_t spin_us, uint64_t us)
{
    uint64_t deadline = time_deadline_us(us), spin_end = time_deadline_us(spin_us);
    __atomic_store_n(&wake_apic, this_cpu_read(apic_id), __ATOMIC_SEQ_CST);
    __atomic_store_n(&wake_last, last, __ATOMIC_SEQ_CST);
    __atomic_store_n(&wake_first, first, __ATOMIC_SEQ_CST);
    while (!all_settled(first, last) && !time_after(spin_end))
        cpu_relax();
    while (!all_settled(first, last) && !time_after(deadline)) {
        safe_halt();
        irq_disable();
    }
}

/* INIT-SIPI-SIPI to one AP, marked STARTING; the second SIPI only if the first was not taken. */
static void kick_one(unsigned c)
{
    struct smp_boot_entry *e = &boot_table[c - 1];
    __atomic_store_n(&e->alive, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&per_cpu(c, state), CPU_STARTING, __ATOMIC_RELEASE);
    send_init(e->apic_id);
    send_sipi(e->apic_id);
    udelay(sipi_delay());
    if (!READ_ONCE(e->alive)) {
        send_sipi(e->apic_id);
        udelay(sipi_delay());
    }
}

/* One AP, INIT-SIPI-SIPI and the waits: serial bring-up, and a CPU brought back online. */
static void start_one(unsigned c)
{
    kick_one(c);
    if (wait_alive(&boot_table[c - 1], ALIVE_TIMEOUT_US))
        wait_online(c, c, ONLINE_SPIN_US, ONLINE_TIMEOUT_US);
}

/* A CPU still STARTING after its waits becomes FAILED, with the line that says how far it
 * got; false if it came online. */
static bool give_up_if_starting(unsigned c)
{
    uint32_t starting = CPU_STARTING;
    if (!__atomic_compare_exchange_n(&per_cpu(c, state), &starting, CPU_FAILED, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return false;
    if (READ_ONCE(boot_table[c - 1].alive))
        kprintf("smp: cpu %u (apic %u) started but did not finish cpu_init in time", c,
                per_cpu(c, apic_id));
    else
        kprintf("smp: cpu %u (apic %u) did not start", c, per_cpu(c, apic_id));
    return true;
}

static void start_serial(unsigned n)
{
    for (unsigned c = 1; c < n; c++)
        start_one(c);
}

static void start_parallel(unsigned n)
{
    for (unsigned c = 1; c < n; c++)
        __atomic_store_n(&per_cpu(c, state), CPU_STARTING, __ATOMIC_RELEASE);
    for (unsigned c = 1; c < n; c++)
        ipi_send(&(struct ipi){ .dest = boot_table[c - 1].apic_id,
                                .delivery = DELIVERY_INIT,
                                .level = IPI_ASSERT,
                                .trigger = IPI_LEVEL });
    if (delays == DELAYS_SPEC)
        udelay(INIT_DELAY_US);
    for (unsigned c = 1; c < n; c++)
        ipi_send(&(struct ipi){ .dest = boot_table[c - 1].apic_id,
                                .delivery = DELIVERY_INIT,
                                .level = IPI_DEASSERT,
                                .trigger = IPI_LEVEL });
    for (unsigned c = 1; c < n; c++)
        send_sipi(boot_table[c - 1].apic_id);
    udelay(sipi_delay());
    for (unsigned c = 1; c < n; c++)
        if (!READ_ONCE(boot_table[c - 1].alive))
            send_sipi(boot_table[c - 1].apic_id);
    wait_online(1, n - 1, 0, ONLINE_TIMEOUT_US + (uint64_t)PARALLEL_PER_AP_US * n);
}

static const char *state_name(unsigned c)
{
    unsigned s = cpu_state(c);
    return s == CPU_STARTING ? "did not start" : cpu_state_name(s);
}

/* The all-but-self shorthand reaches every CPU on the APIC bus: allow it only when every CPU
 * the MADT lists is online and no unlisted CPU answered (apic/ipi.c). */
static void shorthands_decide(unsigned listed, unsigned strays)
{
    listed_cpus = listed;
    stray_cpus = strays;
    unsigned up = smp_online_count();
    bool ok = up == listed && !strays;
    ipi_allow_shorthands(ok);
    if (ok)
        kprintf("smp: IPI shorthands on: all %u listed cpus are online", listed);
    else if (strays)
        kprintf("smp: IPI shorthands off: %u cpu(s) not in the MADT answered the SIPI", strays);
    else
        kprintf("smp: IPI shorthands off: %u of %u listed cpus are online", up, listed);
}

/* The CPU table, a row per run of CPUs with consecutive APIC IDs and the same state: at 255
 * CPUs under TCG, 255 rows took the BSP 80 ms to print (docs/performance.md). */
static void print_cpu_table(unsigned n)
{
    console_lock();
    kprintf("smp:      cpu       apic  state");
    for (unsigned c = 0, end; c < n; c = end) {
        const char *state = c ? state_name(c) : "online (BSP)";
        uint32_t apic = per_cpu(c, apic_id);
        for (end = c + 1; c && end < n && !strcmp(state_name(end), state) &&
                          per_cpu(end, apic_id) == apic + (end - c);
             end++)
            ;
        char cpus[16], apics[24];
        if (end - c == 1) {
            snprintf(cpus, sizeof cpus, "%u", c);
            snprintf(apics, sizeof apics, "%u", apic);
        } else {
            snprintf(cpus, sizeof cpus, "%u-%u", c, end - 1);
            snprintf(apics, sizeof apics, "%u-%u", apic, apic + (end - 1 - c));
        }
        kprintf("smp: %8s %10s  %s", cpus, apics, state);
    }
    console_unlock();
}

static void bring_up(void)
{
    if (!acpi_ok || !(acpi.has_madt || acpi.from_mptable)) {
        kprintf("smp: no MADT or MP table; running on the BSP alone");
        return;
    }
    uint32_t bsp = this_cpu_read(apic_id);
    unsigned enabled = 0, n = 1;
    /* Dense CPU numbers in MADT order, the BSP first; disabled entries are never woken. */
    for (unsigned i = 0; i < acpi.ncpus; i++) {
        const struct acpi_cpu *c = &acpi.cpus[i];
        if (!c->enabled)
            continue;
        enabled++;
        if (c->apic_id == bsp)
            continue;
        if (n >= maxcpus)
            continue;
        if (lapic_mode() == LAPIC_XAPIC && c->apic_id > XAPIC_MAX_ID) {
            kprintf("smp: warning: apic %u needs x2APIC mode (the local APIC is in xAPIC mode); "
                    "not started",
                    c->apic_id);
            continue;
        }
        boot_table[n - 1] = (struct smp_boot_entry){ .apic_id = c->apic_id };
        n++;
    }
    if (!acpi_cpu_by_apic_id(bsp))
        kprintf("smp: warning: the BSP's apic %u is not in the MADT", bsp);
    if (n == 1) {
        kprintf("smp: 1 of %u cpus online (no APs to start)", MAX(enabled, 1u));
        shorthands_decide(MAX(enabled, 1u), 0);
        return;
    }
    /* The trampoline's tables before the areas: the pages the boot writes stay together
     * (mm/pmm.h, pmm_alloc_page_apart). */
    if (!trampoline_install())
        return;
    for (unsigned c = 1; c < n; c++) {
        struct percpu *pc = percpu_create(c, boot_table[c - 1].apic_id);
        boot_table[c - 1].percpu = (uintptr_t)pc;
        boot_table[c - 1].stack_top = pc->kernel_stack.hi;
    }
    params()->count = n - 1;
    warm_reset_set();

    uint64_t t0 = time_since_boot_us();
    time_stage(STAGE_SMP_START);
    if (parallel)
        start_parallel(n);
    else
        start_serial(n);
    bringup_us = time_since_boot_us() - t0;
    time_stage(STAGE_APS_ONLINE);

    for (unsigned c = 1; c < n; c++)
        give_up_if_starting(c);
    if (params()->strays)
        kprintf("smp: warning: %u CPU(s) reached the trampoline with an APIC ID not in the table; "
                "parked",
                params()->strays);
    kprintf("smp: %u of %u cpus online in %llu us (%s, %s delays)%s", smp_online_count(), enabled,
            (unsigned long long)bringup_us, parallel ? "parallel" : "serial",
            delays == DELAYS_SPEC ? "spec" : "fast", maxcpus < enabled ? " (smp.maxcpus)" : "");
    shorthands_decide(enabled, params()->strays);
    print_cpu_table(n);
}

void smp_init(void)
{
    irq_set_handler(VEC_IPI_WAKE, wake_ipi, NULL, "wake");
    bring_up();
    /* On every way out: APs online, all of them failed, or none to start (where nothing was
     * set, this writes what a normal reset wants anyway). */
    warm_reset_restore();
}

/* An AP's C entry (from src/smp/ap_entry.asm): it sets its own canary first, so it has no
 * stack protector itself and never returns. */
__no_stack_protector __noreturn void ap_main(struct percpu *pc);
__no_stack_protector __noreturn void ap_main(struct percpu *pc)
{
    percpu_canary_init();
    if (READ_ONCE(pc->state) == CPU_FAILED) {
        kprintf("smp: cpu %u (apic %u) came up after its timeout; parked", pc->cpu, pc->apic_id);
        halt_forever();
    }
    cpu_init(pc);
    /* STARTING -> ONLINE only: the BSP may have given up on this CPU meanwhile. */
    uint32_t starting = CPU_STARTING;
    if (!__atomic_compare_exchange_n(&pc->state, &starting, CPU_ONLINE, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        kprintf("smp: cpu %u (apic %u) finished cpu_init after its timeout; parked", pc->cpu,
                pc->apic_id);
        halt_forever();
    }
    unsigned now_online = __atomic_add_fetch(&online, 1, __ATOMIC_SEQ_CST);
    unsigned first = __atomic_load_n(&wake_first, __ATOMIC_SEQ_CST);
    unsigned last = __atomic_load_n(&wake_last, __ATOMIC_SEQ_CST);
    if (first == last ? pc->cpu == last : now_online >= last + 1)
        ipi_fixed(__atomic_load_n(&wake_apic, __ATOMIC_SEQ_CST), VEC_IPI_WAKE);
    /* A panic that began while this CPU came up did not stop it (it was not online yet): stop
     * here, as its NMI would have, so that nothing runs on after the report. */
    if (panic_in_progress())
        halt_forever();
    cpu_idle();
}

int smp_start_cpu(unsigned c)
{
    if (!c || c >= ncpus_possible || !trampoline_phys) {
        kprintf("smp: cpu %u cannot be started: %s", c,
                !c                 ? "it is the BSP"
                : !trampoline_phys ? "there is no trampoline"
                                   : "no such cpu");
        return -1;
    }
    bool irqs = irq_save();
    warm_reset_set();
    start_one(c);
    warm_reset_restore();
    int rc = give_up_if_starting(c) ? -1 : 0;
    irq_restore(irqs);
    return rc;
}

void smp_start_cpu_nowait(unsigned c)
{
    if (!c || c >= ncpus_possible || !trampoline_phys)
        return;
    kick_one(c);
}

void smp_park_cpu(unsigned c)
{
    /* INIT resets the CPU to wait for a SIPI (SDM vol. 3A §9.4.1, §11.4.7.3): its local APIC
     * back to the power-up state, every LVT masked, software-disabled, so that it takes no
     * interrupt, not even the host's NMI on LINT1, until it is started again. */
    send_init(per_cpu(c, apic_id));
    __atomic_sub_fetch(&online, 1, __ATOMIC_SEQ_CST);
}

bool smp_shorthands_update(void)
{
    bool ok = smp_online_count() == listed_cpus && !stray_cpus;
    ipi_allow_shorthands(ok);
    return ok;
}
