/* Offsets into struct regs (src/cpu/regs.h), the frame every entry builds, for the assembly
 * that reads it; regs.h checks each against the struct at build time.  Shared with nasm through
 * build/inc/cpu/frame.inc: #define lines with plain hex values only. */
#ifndef CADRE_FRAME_DEFS_H
#define CADRE_FRAME_DEFS_H

#define REGS_VECTOR 0x78     /* after the 15 general registers */
#define REGS_ERROR_CODE 0x80 /* the NMI entry keeps its "swapped GS" flag here */
#define REGS_RIP 0x88
#define REGS_CS 0x90
#define REGS_RFLAGS 0x98
#define REGS_RSP 0xa0
#define REGS_SS 0xa8
#define REGS_SIZE 0xb0       /* 22 quadwords: 16-byte aligned again at the call */

#endif
