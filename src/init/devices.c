/* The devices cadre drives once every CPU is online: the legacy ones through the I/O APIC, then
 * PCI, and the PCI devices that interrupt with messages. */
#include "init/devices.h"

#include "acpi/acpi_boot.h"
#include "apic/ioapic.h"
#include "core/console.h"
#include "dev/edu.h"
#include "dev/pci.h"
#include "dev/pit.h"
#include "dev/ps2kbd.h"
#include "dev/rtc.h"
#include "dev/serial.h"
#include "dev/virtio_rng.h"
#include "irq/msi.h"
#include "irq/route.h"

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
    /* PCI after the ISA devices: its MSI vectors come from the top of each class. */
    msi_init();
    pci_init();
    edu_init();
    virtio_rng_init();
}
