; Entering and leaving ring 3 (docs/ring3.md).
;
; user_enter(rip, rsp, rdi_arg, rsi_arg, ctx): saves the kernel's callee-saved registers and
; stack pointer in *ctx, clears every register a user program could read, swapgs (the user's GS
; base, 0, becomes live; the per-CPU area moves to KERNEL_GS_BASE) and iretq to ring 3.
; user_return(ctx, result), called by the kernel on `exit` or a fault in ring 3, restores *ctx
; and returns `result` from user_enter: the program's frames on the RSP0 stack are dropped.
;
; syscall_entry: where `syscall` lands (IA32_LSTAR).  The CPU has saved RIP in RCX and RFLAGS
; in R11, cleared the flags in IA32_FMASK (IF among them, and AC: so unlike the interrupt entries
; in src/irq/isr.asm this one need not clear AC itself), and changed nothing else: RSP is
; still the user's.  So: swapgs, park the user RSP in the per-CPU area, switch to this CPU's
; syscall stack, build a struct regs, call syscall_dispatch, and `sysretq`.

%include "cpu/x86.inc"
%include "src/cpu/regs.inc"
%include "cpu/percpu.inc"

CTX_RBX equ 0
CTX_RBP equ 8
CTX_R12 equ 16
CTX_R13 equ 24
CTX_R14 equ 32
CTX_R15 equ 40
CTX_RSP equ 48
SYSCALL_VECTOR_MARK equ 0x100   ; struct regs.vector for a `syscall` (not an IDT vector)

extern syscall_dispatch

section .text
global user_enter, user_return, syscall_entry
user_enter:
    mov [r8 + CTX_RBX], rbx
    mov [r8 + CTX_RBP], rbp
    mov [r8 + CTX_R12], r12
    mov [r8 + CTX_R13], r13
    mov [r8 + CTX_R14], r14
    mov [r8 + CTX_R15], r15
    mov [r8 + CTX_RSP], rsp
    push SEL_UDATA              ; SS
    push rsi                    ; RSP
    push RFLAGS_IF | 0x2        ; RFLAGS: interrupts on; bit 1 is always 1
    push SEL_UCODE              ; CS
    push rdi                    ; RIP
    mov rdi, rdx
    mov rsi, rcx
    xor eax, eax
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    xor ebp, ebp
    xor r8d, r8d
    xor r9d, r9d
    xor r10d, r10d
    xor r11d, r11d
    xor r12d, r12d
    xor r13d, r13d
    xor r14d, r14d
    xor r15d, r15d
    cli                         ; no interrupt between swapgs and iretq
    swapgs
    iretq

user_return:
    mov rax, rsi
    mov rbx, [rdi + CTX_RBX]
    mov rbp, [rdi + CTX_RBP]
    mov r12, [rdi + CTX_R12]
    mov r13, [rdi + CTX_R13]
    mov r14, [rdi + CTX_R14]
    mov r15, [rdi + CTX_R15]
    mov rsp, [rdi + CTX_RSP]
    ret

syscall_entry:
    swapgs
    mov [gs:PERCPU_USER_RSP], rsp
    mov rsp, [gs:PERCPU_SYSCALL_RSP0]
    push SEL_UDATA              ; a struct regs as an interrupt from ring 3 would leave it
    push qword [gs:PERCPU_USER_RSP]
    push r11                    ; user RFLAGS
    push SEL_UCODE
    push rcx                    ; user RIP
    push 0
    push SYSCALL_VECTOR_MARK
    PUSH_REGS
    cld
    mov rdi, rsp
    call syscall_dispatch       ; it checks that RIP is canonical before we sysret to it
    POP_REGS
    add rsp, 16                 ; vector, error code
    pop rcx                     ; RIP
    add rsp, 8                  ; CS
    pop r11                     ; RFLAGS
    pop rsp                     ; the user's RSP: from here on the kernel stack is gone
    swapgs                      ; an NMI from here to sysret finds the user's GS: the NMI
    o64 sysret                  ; entry reads IA32_GS_BASE, not CS, to know
