/* The 16550 UART on COM1, the kernel's console. */
#ifndef CADRE_SERIAL_H
#define CADRE_SERIAL_H

#include "lib/compiler.h"

#define COM1_BASE 0x3f8

void serial_init(void);
bool serial_present(void);
/* Writes one byte, waiting (bounded) for room in the transmitter. */
void serial_putc(char c);
/* Waits (bounded) until every byte has left the UART, e.g. before QEMU is told to exit. */
void serial_drain(void);

/* Receive through COM1's interrupt (ISA IRQ 4): bytes go to a ring the console reads.  A full
 * ring stops taking bytes from the UART (the sender waits) instead of dropping them; a byte the
 * UART itself lost (an overrun) gets a warning line. */
void serial_irq_init(void);
/* The next received byte, or -1. */
int serial_getc(void);
bool serial_peek(void);
uint64_t serial_rx_bytes(void);
/* How many times a full ring turned the UART's receive interrupt off. */
uint64_t serial_rx_throttles(void);
/* Wake this CPU (by APIC ID) with an IPI when bytes arrive: the reader sleeps in hlt. */
void serial_rx_wake(uint32_t apic_id);

#endif
