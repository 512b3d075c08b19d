"""PCI enumeration, MSI and MSI-X (issue 15; docs/pci.md, docs/interrupts.md): the in-kernel
pci_* and msi_* tests with QEMU's edu (MSI) and virtio-rng-pci (MSI-X) attached, on pc and
q35, at -smp 2, 4 and 16 (moves under load included); the same tests in a boot without the
devices, which must say the devices are absent; the boot lines and the console commands."""

import re

import pytest

import qemu

# The devices the MSI tests drive: edu's MSI (no per-vector mask) and virtio-rng's MSI-X.
DEVICES = ["-device", "edu", "-device", "virtio-rng-pci"]
READY = r"^console: ready on COM1"


@pytest.mark.parametrize("machine", ["pc", "q35"])
@pytest.mark.parametrize("smp", [2, 4, 16])
def test_msi_ktap_with_devices(vm, machine, smp):
    b = vm(machine=machine, smp=smp, cmdline="test=pci_*,msi_*", extra_args=DEVICES)
    k = b.ktap()
    assert k.problems == [] and k.failed == [], k.describe()
    assert b.rc == qemu.EXIT_PASS, b.summary()
    names = {t.name for t in k.tests}
    for want in ("pci_enumerated", "pci_bad_input_skipped", "pci_ecam_window_checked", "msi_message_format",
                 "msi_vector_space_per_cpu", "msi_edu_on_every_cpu", "msi_msix_virtio_rng",
                 "msi_msix_mask_holds_pending", "msi_move_under_load_msi", "msi_move_under_load_msix"):
        assert want in names, k.describe()
    # With the devices there, nothing but the ECAM comparison (pc has no ECAM) may skip.
    skipped = [t.name for t in k.tests if t.skipped]
    assert skipped == (["pci_ecam_matches_ports"] if machine == "pc" else []), k.describe()
    # Every move test counted raises against arrivals over many moves, over every online CPU
    # (under a loaded host a TCG AP may not start; the boot says so and goes on).
    online = b.find(r"^smp: (\d+) of \d+ cpus online")
    assert online, b.summary()
    online = int(online[1])
    for line in b.texts():
        m = re.match(r"^# (\d+) raises, (\d+) arrivals, (\d+) moves over (\d+) cpus", line)
        if m:
            assert m[1] == m[2] and int(m[3]) >= 100 and int(m[4]) == online, line


def test_msi_without_devices(vm):
    """No edu, no virtio-rng: lines say so, the device tests skip saying why, the rest pass."""
    b = vm(machine="q35", smp=2, cmdline="test=pci_*,msi_*")
    assert b.rc == qemu.EXIT_PASS, b.summary()
    assert b.find(r"^edu: no edu device \(QEMU -device edu\); its tests are skipped$"), b.summary()
    assert b.find(r"^virtio-rng: no virtio-rng device \(QEMU -device virtio-rng-pci\); its tests are skipped$")
    k = b.ktap()
    skips = {t.name: t.directive for t in k.tests if t.skipped}
    assert skips.get("msi_edu_on_every_cpu") == "SKIP no edu device (QEMU -device edu)", k.describe()
    assert skips.get("msi_move_under_load_msix") == "SKIP no virtio-rng device (QEMU -device virtio-rng-pci)"
    assert not b.find(r"^msi: \S+ vector .* (edu|virtio-rng)")


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_pci_boot_lines_and_console(vm, machine):
    """Every function printed as `pci: BB:DD.F VVVV:DDDD class CCSS what`, each vector as a route
    line on the CPU irq.affinity names; `pci`, `msi` and `affinity BB:DD.F CPU` answer."""
    # The devices sit at the first free slots: 00:03.0 and 00:04.0 on q35, 00:04.0 and 00:05.0 on pc.
    edu, rng = ("00:03.0", "00:04.0") if machine == "q35" else ("00:04.0", "00:05.0")
    b = vm(machine=machine, smp=4, timeout=60, cmdline=f"irq.affinity={edu}:2,{rng}/1:3 irq.table",
           extra_args=DEVICES, serial_in_order=True, serial_input=[
               (READY, b"pci\r"),
               (r"^pci:   msi-x: 2 vectors", b"msi\r"),
               (r"^msi: 3 vectors", f"affinity {rng}/1 1\r".encode()),
               (rf"^msi: {rng} vector 0x[0-9a-f]{{2}} \(class \d\) cpu 1 .*virtio-rng queue", b"affinity 00:0f.0 1\r"),
               (r"^console: '00:0f.0' is no device's MSI vector", b"poweroff\r"),
           ])
    assert b.rc == 0 and b.find(r"^cadre: powering off$"), b.summary()
    fns = [t for t in b.texts() if re.match(r"^pci: [0-9a-f]{2}:[0-9a-f]{2}\.[0-7] [0-9a-f]{4}:[0-9a-f]{4} class [0-9a-f]{4} \S", t)]
    assert fns and fns[0].startswith("pci: 00:00.0 8086:"), b.summary()
    host = "q35 host bridge" if machine == "q35" else "i440fx host bridge"
    assert b.find(rf"^pci: 00:00\.0 8086:[0-9a-f]{{4}} class 0600 {host}$")
    access = r"ECAM at 0xb0000000, buses 0-255 \(ACPI MCFG\)" if machine == "q35" else r"ports 0xcf8/0xcfc \(no MCFG\)"
    assert b.find(rf"^pci: configuration space through {access}$"), b.summary()
    assert b.find(rf"^pci: {edu} 1234:11e8 class 00ff edu$")
    assert b.find(rf"^pci: {rng} 1af4:1005 class 00ff virtio-rng$")
    route = r"^msi: {} vector 0x[0-9a-f]{{2}} \(class [6-9]\) cpu {} \(apic {}\) {}$"
    assert b.find(route.format(edu, 2, 2, "edu")), b.summary()
    assert b.find(route.format(rng, 3, 3, "virtio-rng queue")), b.summary()
    assert b.find(r"^pci: \S+ has no MSI or MSI-X; its INTx pin INT[A-D]# is not routed: without an AML "
                  r"interpreter cadre cannot read the ACPI _PRT that says where it goes$")
    assert b.find(r"^irqs: msi +\S+ edu +\d+")
    assert b.find(r"^pci:   BAR0 mem32 0x[0-9a-f]+ size 0x100000$"), b.summary()
    assert b.find(r"^pci:   msi: 1 vector, 64-bit address, without per-vector masking, enabled$")

