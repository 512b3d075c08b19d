/* The per-CPU area: one per CPU, found through IA32_GS_BASE (docs/percpu.md).
 *
 * Its head follows Linux's fixed_percpu_data (arch/x86/include/asm/processor.h): a self pointer at
 * %gs:0 and the stack-protector canary at %gs:40, where -mstack-protector-guard-reg=gs
 * -mstack-protector-guard-offset=40 makes the compiler look for it.  The words between hold what
 * the interrupt entry needs on every interrupt (IRQ stack, nesting count).
 * this_cpu_read/this_cpu_write go through a __seg_gs pointer, so each is one gs-relative
 * instruction and the compiler checks the field's type. */
#ifndef CADRE_PERCPU_H
#define CADRE_PERCPU_H

#include "cpu/layout.defs.h"
#include "cpu/percpu.defs.h"
#include "cpu/x86.defs.h"
#include "lib/compiler.h"

/* The 64-bit TSS (SDM vol. 3A §8.7, figure 8-11). */
struct tss {
    uint32_t reserved0;
    uint64_t rsp[3]; /* stack for an interrupt that raises the privilege to ring 0/1/2 */
    uint64_t reserved1;
    uint64_t ist[7]; /* IST1..IST7 */
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iopb_offset; /* = sizeof(struct tss): no I/O permission bitmap */
} __packed;
_Static_assert(sizeof(struct tss) == 104, "64-bit TSS");

/* Every CPU's GDT: null, kernel code, kernel data, user data, user code, TSS (16 bytes). */
#define GDT_ENTRIES 7

/* A CPU's life (docs/smp.md): ABSENT (listed, never woken), STARTING (INIT-SIPI-SIPI sent, not
 * through cpu_init yet), ONLINE, FAILED (did not come up in time), DYING (going offline: no
 * longer a target of anything, still running while what points at it moves away), OFFLINE
 * (parked by INIT, waiting for a SIPI).  Every change is an atomic store or compare-exchange of
 * `state`, so cpu_online() is the one truth. */
enum cpu_state { CPU_ABSENT, CPU_STARTING, CPU_ONLINE, CPU_FAILED, CPU_DYING, CPU_OFFLINE };

struct percpu_stack {
    uintptr_t lo, hi;
};

struct irq_desc; /* src/irq/irq.c */

struct percpu {
    struct percpu *self;     /* %gs:0 */
    uint64_t irq_stack_top;  /* %gs:8: where a hardware interrupt switches to */
    uint32_t irq_count;      /* %gs:16: interrupts being handled (0 = not on the IRQ stack) */
    uint32_t nmi_state;      /* %gs:20: 1 while this CPU runs its NMI handler (docs/nmi.md) */
    uint64_t nmi_work_top;   /* %gs:24: the stack the NMI handler runs on, after IST2 */
    uint32_t nmi_latched;    /* %gs:32: an NMI arrived while the handler ran; run it again */
    uint32_t nmi_swapgs_tmp; /* %gs:36: the NMI entry swapped GS (until it is in the frame) */
    uint64_t stack_canary;   /* %gs:40 */
    uint32_t cpu;            /* %gs:48: dense CPU number, BSP = 0; never an APIC ID */
    uint32_t apic_id;
    uint32_t state;        /* enum cpu_state */
    uint32_t in_panic;     /* this CPU is printing a panic report */
    uint64_t user_rsp;     /* %gs:64: the user RSP while `syscall` runs */
    uint64_t syscall_rsp0; /* %gs:72: the stack `syscall` switches to (= TSS.RSP0) */
    void *user_ctx;        /* the kernel context a running user program returns to */

    struct percpu_stack kernel_stack, irq_stack, ist_stack[IST_COUNT + 1]; /* ist_stack[1..4] */
    struct percpu_stack nmi_stack; /* where the NMI handler runs, after the IST2 entry */

    uint64_t gdt[GDT_ENTRIES] __aligned(16);
    struct tss tss __aligned(16);

    /* This CPU's own vectors (message-signalled interrupts): their handlers, beside the
     * system vectors every CPU shares (src/irq/irq.c, docs/interrupts.md). */
    struct irq_desc *vector_desc[NUM_VECTORS];

    /* Counters (docs/interrupts.md).  32 bits a vector, as Linux's per-CPU interrupt counts:
     * wide enough for days of interrupts at 10,000 a second, and the area stays one page. */
    uint32_t vector_count[NUM_VECTORS];
    uint64_t nmi_count;          /* NMI handler runs */
    uint64_t nmi_repeats;        /* of which for an NMI latched during the handler */
    uint32_t nmi_requests;       /* NMI_REQ_* bits, set by the CPU that sends the NMI */
    uint32_t nmi_count_requests; /* NMIs sent with NMI_REQ_COUNT, not yet taken */
    uint32_t nmi_stopped;        /* stopped by another CPU's panic */
    uint32_t stop_deferred;      /* ... once this CPU, the console's printer, ends its line */
    uint32_t nmi_if_on;          /* NMI handler runs that ended with IF=1 (a bug; nmi.c) */
    uint32_t nmi_backtraces;     /* NMI_REQ_BACKTRACE requests printed (in the console's ring) */
    uint64_t spurious_count;
    /* Work the idle loop runs in task context (smp_run_in_idle): NULL, a function, or one of
     * IDLE_WORK_CLAIMED (a poster is filling idle_arg in) and IDLE_WORK_RUNNING (the CPU took
     * it; NULL again when it is done). */
    void (*idle_work)(void *);
    void *idle_arg;
    /* 1 while the idle loop sits in hlt: the tick slows down (lapic_timer.c) */
    uint32_t idle_halted;
    /* Where the last #DB / #BP / NMI / hardware-interrupt handler ran, for the tests. */
    uintptr_t last_db_rsp, last_bp_rsp, last_nmi_rsp, last_irq_rsp;
    uint32_t last_irq_count; /* irq_count seen by the last hardware-interrupt handler */
    /* The TSC when this CPU last reached its idle loop, the console or the test runner: the
     * soft-lockup watchdog (src/watchdog/, docs/watchdog.md) reads it on the CPU's tick. */
    uint64_t watchdog_touch_tsc;
};

_Static_assert(__builtin_offsetof(struct percpu, self) == PERCPU_SELF, "percpu self");
_Static_assert(__builtin_offsetof(struct percpu, irq_stack_top) == PERCPU_IRQ_STACK_TOP,
               "irq stack top");
_Static_assert(__builtin_offsetof(struct percpu, irq_count) == PERCPU_IRQ_COUNT, "irq count");
_Static_assert(__builtin_offsetof(struct percpu, nmi_state) == PERCPU_NMI_STATE, "nmi state");
_Static_assert(__builtin_offsetof(struct percpu, nmi_work_top) == PERCPU_NMI_WORK_TOP,
               "nmi work top");
_Static_assert(__builtin_offsetof(struct percpu, nmi_latched) == PERCPU_NMI_LATCHED, "nmi latched");
_Static_assert(__builtin_offsetof(struct percpu, stack_canary) == PERCPU_CANARY,
               "canary at %gs:40");
_Static_assert(__builtin_offsetof(struct percpu, cpu) == PERCPU_CPU, "percpu cpu");
_Static_assert(__builtin_offsetof(struct percpu, nmi_swapgs_tmp) == PERCPU_NMI_SWAPGS_TMP,
               "nmi swapgs");
_Static_assert(__builtin_offsetof(struct percpu, user_rsp) == PERCPU_USER_RSP, "user rsp");
/* Bring-up writes every AP's area: at 255 CPUs, one page each instead of two keeps the memory
 * it touches in fewer 2 MiB host pages (docs/memory.md, "Memory written at once"). */
_Static_assert(sizeof(struct percpu) <= PAGE_SIZE, "a per-CPU area fits one page");
_Static_assert(__builtin_offsetof(struct percpu, syscall_rsp0) == PERCPU_SYSCALL_RSP0,
               "syscall rsp0");

#define IDLE_WORK_CLAIMED ((void (*)(void *))1)
#define IDLE_WORK_RUNNING ((void (*)(void *))2)

#define this_cpu_ptr_gs() ((struct percpu __seg_gs *)0)
#define this_cpu_read(field) (this_cpu_ptr_gs()->field)
#define this_cpu_write(field, v) (this_cpu_ptr_gs()->field = (v))
#define this_cpu_inc(field) (this_cpu_ptr_gs()->field++)

extern struct percpu bsp_percpu;
extern struct percpu *percpu_areas[MAX_CPUS];
extern unsigned ncpus_possible; /* areas made so far (BSP + APs to be woken) */

#define per_cpu(n, field) (percpu_areas[n]->field)

static inline struct percpu *this_cpu(void) { return this_cpu_read(self); }

/* Whether CPU n finished cpu_init and has not been given up on. */
static inline bool cpu_online(unsigned n)
{
    return n < ncpus_possible && percpu_areas[n] &&
           __atomic_load_n(&percpu_areas[n]->state, __ATOMIC_ACQUIRE) == CPU_ONLINE;
}
/* The name `cpus` and the tables print for a state. */
static inline const char *cpu_state_name(unsigned state)
{
    switch (state) {
        case CPU_STARTING: return "starting";
        case CPU_ONLINE: return "online";
        case CPU_FAILED: return "failed";
        case CPU_DYING: return "going-offline";
        case CPU_OFFLINE: return "offline";
        default: return "absent";
    }
}
static inline unsigned cpu_state(unsigned n)
{
    return n < ncpus_possible && percpu_areas[n]
               ? __atomic_load_n(&percpu_areas[n]->state, __ATOMIC_ACQUIRE)
               : CPU_ABSENT;
}
static inline unsigned cpu_id(void) { return this_cpu_read(cpu); }

/* "This CPU got back to a place where it waits or prints": the idle loop, the console and the
 * test runner call it; a CPU with interrupts on that stops calling it is in a soft lockup
 * (docs/watchdog.md).  Data only: the watchdog above reads it, nothing here calls up. */
static inline void cpu_touch_watchdog(void)
{
    this_cpu_write(watchdog_touch_tsc, __builtin_ia32_rdtsc());
}

/* Sets this CPU's canary.  Call it only from a function that never returns and has no stack
 * protector itself (kmain, the AP entry): frames already on the stack hold the old value. */
void percpu_canary_init(void);
/* Points IA32_GS_BASE at `pc` on the calling CPU. */
void percpu_load(struct percpu *pc);

#endif
