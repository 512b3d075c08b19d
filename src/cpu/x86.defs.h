/* Architectural constants, named as the Intel SDM names them (vol. 3A ch. 2-4, vol. 4 for MSRs).
 * Shared with nasm through build/inc/cpu/x86.inc: #define lines with plain hex values only. */
#ifndef CADRE_X86_DEFS_H
#define CADRE_X86_DEFS_H

/* CR0 (SDM vol. 3A §2.5) */
#define CR0_PE 0x00000001 /* protection enable */
#define CR0_WP 0x00010000 /* ring 0 honours read-only pages */
#define CR0_NW 0x20000000 /* not write-through (set by INIT: SDM vol. 3A table 9-1) */
#define CR0_CD 0x40000000 /* cache disable (set by INIT) */
#define CR0_PG 0x80000000 /* paging */

/* CR4 (SDM vol. 3A §2.5) */
#define CR4_PAE 0x00000020
#define CR4_PGE 0x00000080
#define CR4_UMIP 0x00000800
#define CR4_FSGSBASE 0x00010000
#define CR4_SMEP 0x00100000
#define CR4_SMAP 0x00200000

/* RFLAGS (SDM vol. 1 §3.4.3) */
#define RFLAGS_CF 0x00000001
#define RFLAGS_TF 0x00000100
#define RFLAGS_IF 0x00000200
#define RFLAGS_DF 0x00000400
#define RFLAGS_AC 0x00040000
#define RFLAGS_ID 0x00200000

/* MSRs (SDM vol. 4 table 2-2) */
#define MSR_APIC_BASE 0x0000001b
#define MSR_PAT 0x00000277 /* IA32_PAT (SDM vol. 3A §13.12.2) */
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102

/* IA32_EFER bits */
#define EFER_SCE 0x00000001 /* syscall/sysret */
#define EFER_LME 0x00000100 /* long mode enable */
#define EFER_LMA 0x00000400 /* long mode active (read-only) */
#define EFER_NXE 0x00000800 /* execute-disable bit in page tables */

/* Page-table entry bits (SDM vol. 3A §4.5, tables 4-14 to 4-20) */
#define PTE_P 0x001   /* present */
#define PTE_W 0x002   /* writable */
#define PTE_U 0x004   /* user accessible */
#define PTE_PWT 0x008 /* write-through */
#define PTE_PCD 0x010 /* cache disable */
#define PTE_A 0x020
#define PTE_D 0x040
#define PTE_PS 0x080  /* 2 MiB / 1 GiB page in a PD / PDPT entry */
#define PTE_G 0x100   /* global */
#define PTE_NX 0x8000000000000000

/* CPUID feature bits */
#define CPUID_EXT_LEAF 0x80000000
#define CPUID_EXT_FEATURES 0x80000001
#define CPUID_1_ECX_X2APIC 0x00200000     /* leaf 1 ECX bit 21 */
#define CPUID_1_ECX_TSC_DEADLINE 0x01000000 /* leaf 1 ECX bit 24 */
#define CPUID_1_ECX_RDRAND 0x40000000     /* leaf 1 ECX bit 30 */
#define CPUID_1_EDX_APIC 0x00000200       /* leaf 1 EDX bit 9 */
#define CPUID_1_EDX_PAT 0x00010000        /* leaf 1 EDX bit 16 */
#define CPUID_7_EBX_SMEP 0x00000080       /* leaf 7 EBX bit 7 */
#define CPUID_7_EBX_SMAP 0x00100000       /* leaf 7 EBX bit 20 */
#define CPUID_7_ECX_UMIP 0x00000004       /* leaf 7 ECX bit 2 */
#define CPUID_EXT_EDX_NX 0x00100000       /* leaf 0x80000001 EDX bit 20 */
#define CPUID_EXT_EDX_LM 0x20000000       /* leaf 0x80000001 EDX bit 29 */

/* Segment descriptor bits, as bit positions of the 64-bit descriptor (SDM vol. 3A §3.4.5) */
#define DESC_A 0x0000010000000000    /* accessed */
#define DESC_RW 0x0000020000000000   /* data: writable; code: readable */
#define DESC_EXEC 0x0000080000000000 /* code segment */
#define DESC_S 0x0000100000000000    /* code or data (not system) */
#define DESC_DPL3 0x0000600000000000
#define DESC_P 0x0000800000000000    /* present */
#define DESC_L 0x0020000000000000    /* 64-bit code */
#define DESC_DB 0x0040000000000000   /* 32-bit default size */
#define DESC_G 0x0080000000000000    /* limit in 4 KiB units */
#define DESC_LIMIT_MAX 0x000f00000000ffff /* limit 0xfffff */
/* System descriptor types (SDM vol. 3A table 3-2) */
#define DESC_TYPE_TSS_AVAIL 0x9
/* Gate types and attributes (SDM vol. 3A §6.14.1) */
#define GATE_INTERRUPT 0xe
#define GATE_TRAP 0xf
#define GATE_P 0x80
#define GATE_DPL3 0x60

/* Segment selectors of every CPU's GDT (src/cpu/gdt.c).  The user data selector sits just below
 * user code because sysret derives both from one STAR field (SDM vol. 2B, SYSRET). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x1b
#define SEL_UCODE 0x23
#define SEL_TSS 0x28

/* Exception vectors (SDM vol. 3A table 6-1) */
#define VEC_DE 0
#define VEC_DB 1
#define VEC_NMI 2
#define VEC_BP 3
#define VEC_DF 8
#define VEC_GP 13
#define VEC_PF 14
#define VEC_MC 18
#define VEC_SYSCALL_GATE 0x80 /* int 0x80: a DPL-3 gate for system calls */
/* A selector's requested privilege level, bits 0-1 (SDM vol. 3A §3.4.2) */
#define SEL_RPL_MASK 0x3
#define SEL_RPL_USER 0x3
/* A page table holds 512 entries; in the PML4 the upper half (256-511) maps the kernel's
 * half of the address space (SDM vol. 3A §4.5) */
#define PT_ENTRIES 0x200
#define PML4_KERNEL_FIRST 0x100
#define NUM_EXCEPTIONS 32
/* The exceptions for which the CPU pushes an error code: 8, 10-14, 17, 21, 29, 30 (SDM vol. 3A
 * table 6-1; 21 #CP, 29 #VC and 30 #SX from the SDM and AMD's APM vol. 2 §8.2). */
#define EXC_ERROR_CODE_MASK 0x60227d00
#define NUM_VECTORS 256

#endif
