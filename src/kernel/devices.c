/* The legacy devices cadre routes through the I/O APIC once every CPU is online. */
#include "kernel/devices.h"

#include "apic/ioapic.h"
#include "irq/route.h"
#include "kernel/pit.h"
#include "kernel/ps2kbd.h"
#include "kernel/rtc.h"
#include "kernel/serial.h"

#define PIT_HZ_DEVICE 100

void devices_init(void)
{
    ioapic_init();
    pit_irq_init(PIT_HZ_DEVICE);
    ps2kbd_init();
    serial_irq_init();
    rtc_init();
}
