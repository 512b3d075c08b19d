#include "user/user.h"

#include "core/console.h"
#include "cpu/cpu.h"
#include "cpu/percpu.h"
#include "cpu/protections.h"
#include "debug/exceptions.h"
#include "debug/ksyms.h"
#include "lib/string.h"
#include "mm/paging.h"
#include "mm/pmm.h"

#define SYSCALL_VECTOR_MARK 0x100 /* struct regs.vector for a `syscall` (user_entry.asm) */
#define RSP0_BELOW 512            /* room between the caller's frame and the RSP0 stack */
#define WRITE_MAX 200

/* STAR (SDM vol. 3A §5.8.8): bits 47-32 the kernel CS (SS = +8); bits 63-48 a base from which
 * sysret takes SS = base + 8 and CS = base + 16, both with RPL 3: hence user data just below
 * user code in the GDT (src/cpu/x86.defs.h). */
#define STAR_KERNEL_SHIFT 32
#define STAR_USER_SHIFT 48
#define STAR_USER_BASE (SEL_UDATA - 8)
/* FMASK: flags cleared on `syscall`: IF (no interrupt before the stack switch), TF, DF, and AC
 * (a program's AC would let the kernel touch user pages in spite of SMAP, SDM vol. 3A §4.6.1; the
 * other entries clear it in src/irq/isr.asm). */
#define FMASK_FLAGS (RFLAGS_IF | RFLAGS_TF | RFLAGS_AC | RFLAGS_DF)

struct user_ctx {
    uint64_t rbx, rbp, r12, r13, r14, r15, rsp;
};

uint64_t user_enter(uintptr_t rip, uintptr_t rsp, uint64_t rdi, uint64_t rsi, struct user_ctx *ctx);
__noreturn void user_return(struct user_ctx *ctx, uint64_t result);
extern char syscall_entry[];
extern const char user_program_start[], user_program_end[];

#define RESULT_FAULT (1ULL << 63)

static const char *const names[UT_COUNT] = {
    [UT_HELLO] = "hello",
    [UT_INT3] = "int3",
    [UT_INT20] = "int 0x20",
    [UT_READ_KERNEL] = "read kernel",
    [UT_WRITE_KERNEL] = "write kernel",
    [UT_CLI] = "cli",
    [UT_HLT] = "hlt",
    [UT_RDMSR] = "rdmsr",
    [UT_MOV_CR3] = "mov cr3",
    [UT_SGDT] = "sgdt",
    [UT_SIDT] = "sidt",
    [UT_SINGLE_STEP] = "single step",
    [UT_SPIN] = "spin",
    [UT_AC_ENTRY] = "ac entry",
};

const char *user_case_name(unsigned ut) { return ut < UT_COUNT ? names[ut] : "?"; }

uintptr_t user_code_address(unsigned cpu)
{
    return USER_BASE + (uintptr_t)cpu * USER_REGION_SIZE + USER_CODE_OFFSET;
}

void user_cpu_init(void)
{
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    wrmsr(MSR_STAR, (uint64_t)SEL_KCODE << STAR_KERNEL_SHIFT | (uint64_t)(STAR_USER_BASE | 3)
                                                                   << STAR_USER_SHIFT);
    wrmsr(MSR_LSTAR, (uintptr_t)syscall_entry);
    wrmsr(MSR_FMASK, FMASK_FLAGS);
    wrmsr(MSR_KERNEL_GS_BASE, 0); /* the user's GS base, while in the kernel */
}

/* This CPU's code page (user, read + execute) and stack (user, read + write, no execute),
 * made the first time; the program is copied in through the direct map, so SMAP is not in the
 * way. */
static bool map_region(unsigned cpu, uint64_t *code_phys)
{
    static uint64_t code_pages[MAX_CPUS];
    if (code_pages[cpu]) {
        *code_phys = code_pages[cpu];
        return true;
    }
    uintptr_t base = USER_BASE + (uintptr_t)cpu * USER_REGION_SIZE;
    uint64_t code = pmm_alloc_page();
    if (!code || !map_page(base + USER_CODE_OFFSET, code, PTE_U))
        return false;
    for (uintptr_t off = 0; off < USER_STACK_SIZE; off += PAGE_SIZE) {
        uint64_t p = pmm_alloc_page();
        if (!p || !map_page(base + USER_STACK_OFFSET + off, p, PTE_U | PTE_W | PTE_NX))
            return false;
    }
    code_pages[cpu] = code;
    *code_phys = code;
    return true;
}

struct user_result user_run(unsigned ut, uint64_t arg)
{
    struct percpu *pc = this_cpu();
    unsigned cpu = cpu_id();
    uint64_t code;
    struct user_result res = { .faulted = true };
    if (!map_region(cpu, &code)) {
        kprintf("user: cpu%u: no memory for the user pages", cpu);
        return res;
    }
    memcpy(phys_to_virt(code), user_program_start, (size_t)(user_program_end - user_program_start));
    uintptr_t base = USER_BASE + (uintptr_t)cpu * USER_REGION_SIZE;
    struct user_ctx ctx;
    bool irqs = irq_save();
    /* Interrupts and system calls from ring 3 land below this frame (TSS.RSP0). */
    uintptr_t rsp0 = ALIGN_DOWN(read_rsp() - RSP0_BELOW, 16);
    uint64_t saved_rsp0 = pc->tss.rsp[0];
    pc->tss.rsp[0] = rsp0;
    pc->syscall_rsp0 = rsp0;
    pc->user_ctx = &ctx;
    uint64_t r = user_enter(base + USER_CODE_OFFSET, base + USER_STACK_OFFSET + USER_STACK_SIZE, ut,
                            arg, &ctx);
    pc->user_ctx = NULL;
    pc->tss.rsp[0] = saved_rsp0;
    irq_restore(irqs);
    res.faulted = r & RESULT_FAULT;
    res.vector = (unsigned)(r & 0xff);
    res.exit_code = r;
    if (!res.faulted)
        kprintf("user: cpu%u: program '%s' exited with 0x%llx", cpu, user_case_name(ut),
                (unsigned long long)r);
    return res;
}

static user_test_call_t test_calls[MAX_CPUS];             /* SYS_TEST's answer, per CPU */
static uint64_t entry_rflags[MAX_CPUS][USER_ENTRY_COUNT]; /* 0: none; RFLAGS bit 1 is always 1 */

struct user_result user_run_test(unsigned ut, uint64_t arg, user_test_call_t call)
{
    test_calls[cpu_id()] = call;
    struct user_result r = user_run(ut, arg);
    test_calls[cpu_id()] = NULL;
    return r;
}

/* Called in NMI context too: no lock, no line; the callers pass USER_ENTRY_* constants.  Only
 * an entry that AC could have followed counts: a program's NMI may come before it sets AC. */
void user_entry_note(unsigned path, const struct regs *r)
{
    uint64_t now = read_rflags();
    if (path < USER_ENTRY_COUNT && regs_from_user(r) && (r->rflags & RFLAGS_AC))
        WRITE_ONCE(entry_rflags[cpu_id()][path], now);
}

uint64_t user_entry_rflags(unsigned path)
{
    return path < USER_ENTRY_COUNT ? READ_ONCE(entry_rflags[cpu_id()][path]) : 0;
}

void user_entry_forget(void)
{
    for (unsigned p = 0; p < USER_ENTRY_COUNT; p++)
        WRITE_ONCE(entry_rflags[cpu_id()][p], 0);
}

static __noreturn void end_program(uint64_t result)
{
    struct user_ctx *ctx = this_cpu()->user_ctx;
    user_return(ctx, result);
}

/* User memory is reached only inside stac/clac (SMAP, SDM vol. 3A §4.6.1) and only where it is
 * this CPU's user region. */
static bool copy_from_user(char *dst, uintptr_t src, size_t n)
{
    uintptr_t lo = USER_BASE + (uintptr_t)cpu_id() * USER_REGION_SIZE;
    if (src < lo || n > USER_REGION_SIZE || src + n > lo + USER_REGION_SIZE)
        return false;
    if (cpu_protections.smap)
        __asm__ volatile("stac" ::: "memory");
    memcpy(dst, (const void *)src, n);
    if (cpu_protections.smap)
        __asm__ volatile("clac" ::: "memory");
    return true;
}

static uint64_t do_syscall(struct regs *r, const char *how)
{
    switch (r->rax) {
        case SYS_WRITE: {
            char buf[WRITE_MAX + 1];
            size_t n = MIN((size_t)r->rsi, (size_t)WRITE_MAX);
            if (!copy_from_user(buf, r->rdi, n))
                return (uint64_t)-1;
            buf[n] = '\0';
            kprintf("user: cpu%u: write by %s: %s", cpu_id(), how, buf);
            return n;
        }
        case SYS_GETCPU: return cpu_id();
        case SYS_YIELD: return 0;
        case SYS_EXIT: end_program(r->rdi & ~RESULT_FAULT);
        case SYS_TEST: {
            user_test_call_t call = test_calls[cpu_id()];
            if (call)
                return call(r);
            kprintf("user: cpu%u: system call test by %s, but no kernel test runs this program; "
                    "refused",
                    cpu_id(), how);
            return (uint64_t)-1;
        }
        default:
            kprintf("user: cpu%u: unknown system call %llu by %s", cpu_id(),
                    (unsigned long long)r->rax, how);
            return (uint64_t)-1;
    }
}

/* A canonical address has bits 63-47 all equal (SDM vol. 1 §3.3.7.1). */
static bool canonical(uint64_t a) { return (uint64_t)((int64_t)a >> 47) + 1 <= 1; }

void syscall_dispatch(struct regs *r);
void syscall_dispatch(struct regs *r)
{
    user_entry_note(USER_ENTRY_SYSCALL, r);
    r->rax = do_syscall(r, "syscall");
    /* sysret to a non-canonical RIP faults in ring 0 with the user's GS (Intel's sysret
     * erratum; Linux returns with iret instead): end the program. */
    if (!canonical(r->rip)) {
        kprintf("user fault on cpu%u: sysret to the non-canonical address %016lx refused", cpu_id(),
                (unsigned long)r->rip);
        end_program(RESULT_FAULT | VEC_GP);
    }
}

void syscall_int80(struct regs *r)
{
    if (!regs_from_user(r)) {
        kprintf("user: warning: int 0x80 from ring 0 on cpu%u ignored", cpu_id());
        return;
    }
    user_entry_note(USER_ENTRY_INT80, r);
    r->rax = do_syscall(r, "int 0x80");
}

void user_exception(struct regs *r)
{
    user_entry_note(USER_ENTRY_EXCEPTION, r);
    char what[256];
    exception_describe(r, what, sizeof what);
    if (r->vector == VEC_BP || r->vector == VEC_DB) {
        if (r->vector == VEC_DB)
            r->rflags &= ~(uint64_t)RFLAGS_TF;
        kprintf("user trap on cpu%u: %s; the program goes on", cpu_id(), what);
        return;
    }
    kprintf("user fault on cpu%u: %s; the program is ended, the kernel goes on", cpu_id(), what);
    if (!this_cpu()->user_ctx) {
        kprintf("user: cpu%u: no program to end", cpu_id());
        return;
    }
    end_program(RESULT_FAULT | r->vector);
}
