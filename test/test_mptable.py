"""Firmware without ACPI (issue 13): with `-M pc -no-acpi` SeaBIOS still builds an Intel MP
table, and cadre takes its CPUs, I/O APIC and ISA IRQs from it (src/acpi/mptable.c).

SeaBIOS lists only the first logical CPU of each package (MP spec tables predate multi-core
packages), and QEMU 7.2 makes `-smp 4` one package of four cores: so the four-CPU boot asks for
four sockets, and the plain `-smp 4` boot checks that the one CPU listed runs, with a line that
says why the others do not."""

READY = r"^console: ready on COM1"


def test_no_acpi_mp_table_four_sockets(vm):
    b = vm(smp="4,sockets=4", extra_args=["-no-acpi"], timeout=60,
           serial_input=[(READY, b"echo typed on COM1\r"), (r"^echo: typed on COM1$", b"poweroff\r")])
    for rx in (r"^acpi: no RSDP from the loader or in the BIOS areas; using the Intel MP table$",
               r"^mptable: floating pointer at 0x[0-9a-f]+ \(spec 1\.4\), table at 0x[0-9a-f]+: ",
               r"^mptable: 4 cpus \(4 enabled\), lapic 0xfee00000, virtual wire mode; buses: 1 ISA, 1 PCI"):
        assert b.find(rx), f"missing {rx}\n{b.summary()}"
    assert b.find(r"^mptable: ioapic id 0 at 0xfec00000 gsi base 0$"), b.summary()
    assert b.find(r"^cadre: ready: 4 cpus online$"), b.summary()
    assert not b.find(r"legacy interrupts|IRQ \d+ .*not routed|no I/O APIC"), b.summary()
    # ISA IRQ 0 arrives on pin 2, as the table's I/O interrupt entry says; all go to the I/O APIC.
    assert b.find(r"^irq: route irq 0 -> gsi 2 edge/high vector 0x[0-9a-f]+ .* pit$"), b.summary()
    assert b.find(r"^irq: route irq 4 -> gsi 4 edge/high vector 0x[0-9a-f]+ .* com1$"), b.summary()
    # Input through the COM1 interrupt, routed by the MP table
    assert b.find(r"^echo: typed on COM1$"), b.summary()
    assert b.find(r"^cadre: powering off$"), b.summary()
    assert b.panic_report() is None


def test_no_acpi_mp_table_one_package(vm):
    b = vm(smp=4, extra_args=["-no-acpi"], until=READY)
    assert b.find(r"^mptable: 1 cpus \(1 enabled\)"), b.summary()
    assert b.find(r"^mptable: note: a package may hold \d+ logical cpus \(CPUID\.1:EBX\); the MP table "
                  r"lists 1 cpus, and those it does not list are not started$"), b.summary()
    assert b.find(r"^cadre: ready: 1 cpus online$"), b.summary()
    assert b.find(r"^irq: route irq 4 -> gsi 4 "), b.summary()
