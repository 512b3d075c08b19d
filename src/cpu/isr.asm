; Interrupt entry stubs: one per vector, all from one macro, and one common entry that builds
; `struct regs` (src/cpu/regs.h) and calls the C dispatcher.
;
; The CPU pushes an error code for some exceptions only (SDM vol. 3A table 6-1); for the others
; the stub pushes a zero, so every frame has the same shape.  ISR_ERROR_CODE_MASK is the one
; definition of which vectors those are; C reads it as isr_error_code_mask.

%include "cpu/x86.inc"

ISR_ERROR_CODE_MASK equ (1 << 8) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13) | (1 << 14) \
                      | (1 << 17) | (1 << 21) | (1 << 29) | (1 << 30)

extern interrupt_dispatch

%macro ISR_STUB 1
align 16
isr_stub_%1:
%if (%1 >= 32) || (((ISR_ERROR_CODE_MASK >> %1) & 1) == 0)
    push 0                      ; no error code from the CPU: keep the frame shape
%endif
    push %1
    jmp isr_common
%endmacro

section .text
%assign vec 0
%rep NUM_VECTORS
    ISR_STUB vec
%assign vec vec + 1
%endrep

; The CPU has pushed SS, RSP, RFLAGS, CS, RIP (16-byte aligned first, SDM vol. 3A §6.14.2), the
; stub an error code and the vector: 7 quadwords.  With 15 general registers that is 22, so RSP
; is 16-byte aligned again at the call, as the SysV ABI wants.
isr_common:
    cld
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    mov rdi, rsp
    call interrupt_dispatch
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16                 ; vector and error code
    iretq

section .rodata
align 8
global isr_stub_table, isr_error_code_mask
isr_stub_table:
%assign vec 0
%rep NUM_VECTORS
    dq isr_stub_%[vec]
%assign vec vec + 1
%endrep
isr_error_code_mask:
    dq ISR_ERROR_CODE_MASK
