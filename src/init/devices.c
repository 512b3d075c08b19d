/* The legacy devices cadre routes through the I/O APIC once every CPU is online. */
#include "init/devices.h"

#include "acpi/acpi_boot.h"
#include "apic/ioapic.h"
#include "core/console.h"
#include "irq/route.h"
#include "dev/pit.h"
#include "dev/ps2kbd.h"
#include "dev/rtc.h"
#include "dev/serial.h"

#define PIT_HZ_DEVICE 100

void devices_init(void)
{
    acpi_register_ioapics();
    if (!ioapic_count())
        kprintf("ioapic: warning: no I/O APIC; device interrupts are off");
    pit_irq_init(PIT_HZ_DEVICE);
    ps2kbd_init();
    serial_irq_init();
    rtc_init();
}
