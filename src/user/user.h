/* Ring 3 on every CPU (docs/ring3.md): a built-in program copied into each CPU's own user
 * pages, entered with iretq, back by `syscall`/`sysret`, `int 0x80`, interrupts and faults.
 * A fault in ring 3 ends the program with a report, never the kernel. */
#ifndef CADRE_USER_H
#define CADRE_USER_H

#include "cpu/regs.h"
#include "user/user.defs.h"

struct user_result {
    bool faulted;
    unsigned vector;    /* when faulted */
    uint64_t exit_code; /* when it exited */
};

/* On each CPU, from cpu_init: EFER.SCE, STAR, LSTAR, FMASK (SDM vol. 3A §5.8.8). */
void user_cpu_init(void);
/* Runs the program's case `ut` (UT_*) on this CPU until it exits or faults. */
struct user_result user_run(unsigned ut, uint64_t arg);
const char *user_case_name(unsigned ut);
/* A kernel test's answer to the program's SYS_TEST calls: gets the caller's frame (RDI, RSI are
 * the arguments), returns the call's result. */
typedef uint64_t (*user_test_call_t)(struct regs *r);
/* user_run, with `call` answering SYS_TEST on this CPU meanwhile (it is refused at other times). */
struct user_result user_run_test(unsigned ut, uint64_t arg, user_test_call_t call);

/* For the tests: every path into the kernel (USER_ENTRY_*) calls this first in its handler
 * (the NMI entry in src/irq/isr.asm; an IRQ: the test's own handler).  When `r` came from ring
 * 3 with AC set, it records the RFLAGS the handler runs with, on this CPU.  user_entry_rflags
 * gives the last record, 0 if none came since user_entry_forget. */
void user_entry_note(unsigned path, const struct regs *r);
uint64_t user_entry_rflags(unsigned path);
void user_entry_forget(void);

/* From the trap path: an exception in ring 3.  #BP and #DB are reported and the program goes
 * on; any other ends the program (it does not return then). */
void user_exception(struct regs *r);
/* int 0x80 */
void syscall_int80(struct regs *r);
/* The user code page of a CPU, for the SMEP/SMAP checks from ring 0. */
uintptr_t user_code_address(unsigned cpu);

#endif
