/* The PS/2 keyboard behind the 8042 controller, on ISA IRQ 1. */
#ifndef CADRE_PS2KBD_H
#define CADRE_PS2KBD_H

#include "lib/compiler.h"

void ps2kbd_init(void);
bool ps2kbd_present(void);
uint64_t ps2kbd_irqs(void);
/* Makes the controller deliver `byte` as if the keyboard sent it (8042 command 0xD2, "write
 * keyboard output buffer"): one IRQ 1 per byte, which the tests use as an interrupt source
 * they can count exactly.  Returns false if the controller did not take it. */
bool ps2kbd_inject(uint8_t byte);

#endif
