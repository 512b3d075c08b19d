/* Ring 3: the built-in test program's cases and the system call numbers, shared between the
 * program (src/user/program.asm) and the kernel (src/user/user.c). */
#ifndef CADRE_USER_DEFS_H
#define CADRE_USER_DEFS_H

/* Where each CPU's copy of the program lives: USER_BASE + cpu * USER_REGION_SIZE, the code page
 * first, then an unmapped guard page, then the stack. */
#define USER_BASE 0x400000
#define USER_REGION_SIZE 0x10000
#define USER_CODE_OFFSET 0x0
#define USER_STACK_OFFSET 0x2000
#define USER_STACK_SIZE 0x4000

/* System calls: RAX = number, RDI and RSI = arguments, result in RAX; by `syscall` or `int 0x80`. */
#define SYS_WRITE 0  /* (buffer, length): print a line */
#define SYS_GETCPU 1 /* (): this CPU's number */
#define SYS_YIELD 2  /* (): give the CPU back for a moment (returns at once: no scheduler) */
#define SYS_EXIT 3   /* (code): end the program */
#define SYS_TEST 4   /* (RDI, RSI): answered by the kernel test running the program, else refused */

/* What the program does, chosen by RDI at its entry. */
#define UT_HELLO 0       /* write, getcpu by both kinds of call, yield, exit with both CPU numbers */
#define UT_INT3 1        /* int3 (a DPL-3 gate): reported, the program goes on */
#define UT_INT20 2       /* int 0x20 (a DPL-0 gate): #GP */
#define UT_READ_KERNEL 3 /* read a kernel page: #PF, user mode, protection */
#define UT_WRITE_KERNEL 4
#define UT_CLI 5         /* #GP: IOPL 0 */
#define UT_HLT 6         /* #GP: privileged */
#define UT_RDMSR 7       /* #GP: privileged */
#define UT_MOV_CR3 8     /* #GP: privileged */
#define UT_SGDT 9        /* #GP where CR4.UMIP is on */
#define UT_SIDT 10
#define UT_SINGLE_STEP 11 /* TF in user mode: #DB reported, the program goes on */
#define UT_SPIN 12       /* RSI iterations of a loop with a system call every 2^16: for NMIs */
/* UT_AC_ENTRY sets RFLAGS.AC, then enters the kernel by the path RSI names (USER_ENTRY_*) */
#define UT_AC_ENTRY 13
#define UT_COUNT 14

/* The ways into the kernel from ring 3.  user_entry_note(path) records the RFLAGS each one runs its
 * handler with, so a test can check that AC never comes in from ring 3 (src/user/user.h). */
#define USER_ENTRY_EXCEPTION 0 /* int3: #BP, a DPL-3 gate */
#define USER_ENTRY_IRQ 1       /* a self IPI, taken in ring 3 */
#define USER_ENTRY_NMI 2       /* an NMI from another CPU, taken in ring 3 */
#define USER_ENTRY_INT80 3     /* int 0x80 */
#define USER_ENTRY_SYSCALL 4   /* syscall */
#define USER_ENTRY_COUNT 5
/* What UT_AC_ENTRY hands the kernel to read, by int 0x80 or syscall */
#define USER_AC_MARK 0xac0ac0ac

#define USER_KERNEL_ADDRESS 0xffffffff80100000 /* an address of the kernel image */

#endif
