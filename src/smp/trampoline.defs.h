/* The AP trampoline's page and its parameter block (src/smp/trampoline.h has the C struct and
 * checks these offsets against it at build time). */
#ifndef CADRE_TRAMPOLINE_DEFS_H
#define CADRE_TRAMPOLINE_DEFS_H

/* The page the trampoline is copied to is chosen from the memory map below 1 MiB at boot
 * (pmm_low_page(), src/mm/pmm.h); the STARTUP IPI's vector is its page number (SDM vol. 3A
 * §9.4.4.1).  The code runs wherever it is put. */

/* The parameter block's offset in the page; the code before it must fit. */
#define TP_PARAMS 0xe00
#define TP_GDT 0xe00          /* u64 gdt[4]: null, code32, data, code64 */
#define TP_GDTR 0xe20         /* u16 limit, u32 base */
#define TP_FAR32 0xe28        /* u32 offset, u16 selector: the jump to 32-bit code */
#define TP_FAR64 0xe30        /* u32 offset, u16 selector: the jump to 64-bit code */
#define TP_CR3 0xe38          /* u32: trampoline page tables, below 4 GiB */
#define TP_EFER 0xe3c         /* u32: EFER bits to set (LME, NXE) */
#define TP_KERNEL_CR3 0xe40   /* u64: the kernel's page tables */
#define TP_ENTRY64 0xe48      /* u64: ap_start in the higher half */
#define TP_TABLE 0xe50        /* u64: struct smp_boot_entry[] (kernel address) */
#define TP_COUNT 0xe58        /* u32: entries in the table */
#define TP_STRAYS 0xe5c       /* u32: APs that found no entry for their APIC ID */
#define TP_END 0xe60

/* Selectors in the trampoline's GDT */
#define TGDT_CODE32 0x08
#define TGDT_DATA 0x10
#define TGDT_CODE64 0x18

/* struct smp_boot_entry: u32 apic_id, u32 alive, u64 percpu, u64 stack_top */
#define SBE_APIC_ID 0
#define SBE_ALIVE 4
#define SBE_PERCPU 8
#define SBE_STACK_TOP 16
#define SBE_SIZE 24

#endif
