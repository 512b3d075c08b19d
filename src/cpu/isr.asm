; Interrupt entry stubs: one per vector, all from one macro, and one common entry that builds
; `struct regs` (src/cpu/regs.h) and calls the C dispatcher.
;
; The CPU pushes an error code for some exceptions only (SDM vol. 3A table 6-1); for the others
; the stub pushes a zero, so every frame has the same shape.  ISR_ERROR_CODE_MASK is the one
; definition of which vectors those are; C reads it as isr_error_code_mask.

%include "cpu/x86.inc"
%include "cpu/percpu.inc"

REGS_VECTOR equ 15 * 8          ; offset of `vector` in struct regs (checked in regs.h)

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
;
; Hardware interrupts (vectors 32 and up) run on this CPU's IRQ stack, like Linux's
; hardirq_stack: %gs:irq_count counts the interrupts being handled; the first one switches to
; %gs:irq_stack_top, a nested one stays where it is (already on the IRQ stack).  Exceptions
; stay on the stack they interrupted (or their IST stack).  RBX holds the frame's address across
; the call; it is callee-saved, so the C code gives it back.
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
    mov rbx, rsp
    cmp qword [rsp + REGS_VECTOR], NUM_EXCEPTIONS
    jb .call
    add dword [gs:PERCPU_IRQ_COUNT], 1
    cmp dword [gs:PERCPU_IRQ_COUNT], 1
    jne .call                   ; nested: already on the IRQ stack
    mov rsp, [gs:PERCPU_IRQ_STACK_TOP]
.call:
    call interrupt_dispatch
    mov rsp, rbx
    cmp qword [rsp + REGS_VECTOR], NUM_EXCEPTIONS
    jb .restore
    sub dword [gs:PERCPU_IRQ_COUNT], 1
.restore:
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
