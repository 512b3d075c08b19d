#ifndef CADRE_DEVICES_H
#define CADRE_DEVICES_H

/* The I/O APICs, then the PIT (IRQ 0), PS/2 keyboard (IRQ 1), COM1 receive (IRQ 4) and RTC
 * (IRQ 8), each routed by the policy (src/irq/route.h). */
void devices_init(void);

#endif
