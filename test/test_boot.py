"""Booting: the kernel reaches "ready", prints well-formed lines, reports memory that adds up,
refuses a 32-bit CPU, powers off on request; and the harness's own plumbing (serial input,
QMP, timeouts) works."""

import re
import time

import pytest

import qemu

READY = r"^cadre: ready: \d+ cpus online$"
MiB = 1024 * 1024
GiB = 1024 * MiB


def check_lines(b: qemu.Boot) -> None:
    """Every line from the kernel's first on has the prefix; time never goes back on a CPU."""
    assert b.kernel_lines(), f"no kernel line at all\n{b.summary()}"
    assert b.malformed_lines() == [], f"lines without the [SSSSS.UUUUUU] cpuN: prefix\n{b.summary()}"
    last = {}
    for secs, cpu, text in b.kernel_lines():
        assert secs >= last.get(cpu, 0.0), f"cpu{cpu}'s clock went back to {secs:.6f} at {text!r}"
        last[cpu] = secs


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_boot_reaches_ready(vm, machine):
    b = vm(machine=machine, until=READY)
    assert not b.timed_out, b.summary()
    assert b.until_match is not None, b.summary()
    assert b.find(READY).group(0) == "cadre: ready: 1 cpus online"
    texts = b.texts()
    assert texts[0].startswith("cadre: booting on cpu0"), texts[0]
    assert {cpu for _, cpu, _ in b.kernel_lines()} == {0}
    check_lines(b)


def test_poweroff(vm):
    # Today: isa-debug-exit status 39.  Once ACPI S5 works QEMU exits 0 instead; either way the
    # kernel must have said so.
    b = vm(cmdline="poweroff")
    assert b.rc in (qemu.EXIT_POWEROFF, 0), b.summary()
    ready, off = b.index(READY), b.index(r"^cadre: powering off$")
    assert ready is not None and off is not None and ready < off, b.summary()
    check_lines(b)


# What GRUB-EFI printed before the kernel when the ISO left modules out (tooling-facts.md §1).
GRUB_EFI_ERRORS = re.compile(r"error: file /boot/grub/x86_64-efi/\S+\.mod not found|error: no suitable video mode found")
GRUB_NO_CONSOLE = "WARNING: no console will be available to OS"


@pytest.mark.parametrize("firmware,machine", [("bios", "pc"), ("uefi", "q35")])
def test_firmware_told_apart(vm, firmware, machine):
    """The same ISO under SeaBIOS and OVMF: GRUB prints no error, the kernel says which firmware
    started the loader, takes its trampoline page from the memory map, prints memory-map types
    it does not know with their number, and under UEFI leaves the BIOS-only things alone."""
    b = vm(cmdline="poweroff", smp=2, firmware=firmware, machine=machine)
    assert b.find(r"^cadre: powering off$"), b.summary()
    check_lines(b)
    grub = b.log[:b.log.find("cadre: booting")]
    assert not GRUB_EFI_ERRORS.search(grub), f"GRUB printed errors before the kernel:\n{grub}"
    uefi = b.find(r"^multiboot2: started by UEFI firmware: EFI system table at 0x[0-9a-f]+ \(tag 1[12]\)")
    bios = b.find(r"^multiboot2: started by BIOS firmware \(no EFI system table tag\)$")
    assert (uefi, bios) != (None, None) and bool(uefi) == (firmware == "uefi"), b.summary()
    page = b.find(r"^pmm: page (0x[0-9a-f]+) \(below 1 MiB, free in the memory map\) kept for the AP trampoline$")
    assert page and int(page.group(1), 16) < 0x100000, b.summary()
    assert b.find(rf"^smp: trampoline at {page.group(1)} \(STARTUP IPI vector 0x[0-9a-f]+\)"), b.summary()
    assert not b.find(r"unknown type$"), "a memory-map type printed without its number"
    if firmware == "uefi":
        # OVMF's map has GRUB's type 20 (EFI runtime services code), which Multiboot2 does not define.
        assert b.find(r"^  mem [0-9a-f]{16}-[0-9a-f]{16} unknown type 20 \(not used\)$"), b.summary()
        assert b.find(r"^smp: trampoline at .*; UEFI: no BIOS warm-reset vector"), b.summary()
    # GRUB-EFI prints it for a kernel whose header asks for no framebuffer; ours asks for one.
    assert GRUB_NO_CONSOLE not in grub, f"GRUB printed {GRUB_NO_CONSOLE!r}"


def test_debugcon_mirrors_serial(vm):
    """Port 0xE9 carries exactly the kernel's part of the serial log."""
    b = vm(cmdline="poweroff")
    assert b.rc in (qemu.EXIT_POWEROFF, 0), b.summary()
    first = b.log.index(b.kernel_lines()[0][2])
    start = b.log.rfind("\n", 0, first) + 1
    assert b.debugcon == b.log[start:], "port 0xE9 differs from the serial log"
    assert b.debugcon.endswith("\n")


def test_no_long_mode(vm):
    b = vm(cpu="qemu32", until=r"no long mode", timeout=30)
    assert not b.timed_out, b.summary()
    assert b.kernel_lines() == [(0.0, 0, "cadre: boot: this CPU has no long mode (x86_64); "
                                          "cadre needs a 64-bit CPU; halting")], b.summary()


# ----------------------------------------------------------------------------------------------
# Memory.  SeaBIOS's e820 map (what GRUB passes on) keeps back, below 4 GiB:
#  - the EBDA, 0x9fc00-0x9ffff (1 KiB), and the legacy hole 0xa0000-0xfffff (384 KiB, VGA and
#    ROMs: not in the map at all);
#  - 128 KiB (pc) or 132 KiB (q35) at the top of low RAM, for its own tables.
# Measured on QEMU 7.2 / SeaBIOS 1.16.2, -m 128M..8G: usable = -m minus 513 KiB (pc) or
# 517 KiB (q35), the same for every size.  The bound below allows 1 MiB for everything below
# 1 MiB plus 1 MiB at the top of low RAM: 2 MiB, four times what is taken today, yet far less
# than any real miscount (a lost or doubled region is at least 1 MiB, usually far more).
# Above 3 GiB (pc) or 2 GiB (q35) QEMU moves the rest of RAM above 4 GiB, past the PCI hole;
# the 4G cases check that this part is found and counted.
FIRMWARE_MARGIN = 2 * MiB
MEM_RE = re.compile(r"^  mem ([0-9a-f]{16})-([0-9a-f]{16}) (\S+)")
USABLE_RE = r"^multiboot2: usable memory (\d+) KiB \((\d+) MiB\) in (\d+) map entries$"


@pytest.mark.parametrize("machine,mem", [("pc", "128M"), ("pc", "512M"), ("pc", "2G"),
                                         ("pc", "4G"), ("q35", "4G")])
def test_usable_memory(vm, machine, mem):
    b = vm(machine=machine, mem=mem, cmdline="poweroff")
    assert b.rc in (qemu.EXIT_POWEROFF, 0), b.summary()
    size = int(mem[:-1]) * {"M": MiB, "G": GiB}[mem[-1]]
    m = b.find(USABLE_RE)
    assert m, b.summary()
    kib, mib, entries = (int(x) for x in m.groups())
    usable = kib * 1024

    ranges = [(int(s, 16), int(e, 16), kind) for s, e, kind in
              (mm.groups() for mm in b.findall(MEM_RE))]
    assert len(ranges) == entries, f"{entries} entries announced, {len(ranges)} printed"
    avail = sorted((s, e) for s, e, kind in ranges if kind == "available")
    assert sum(e - s + 1 for s, e in avail) == usable, "usable total != sum of available ranges"
    assert mib == kib // 1024
    for (s1, e1), (s2, e2) in zip(avail, avail[1:]):
        assert e1 < s2, f"available ranges overlap: {s1:#x}-{e1:#x} and {s2:#x}-{e2:#x}"
    for s, e in avail:
        assert e < 0xA0000 or s >= 0x100000, f"available range {s:#x}-{e:#x} in the legacy hole"
        assert e < 0xFEC00000 or s >= 4 * GiB, f"available range {s:#x}-{e:#x} under the APICs/BIOS"

    assert usable <= size, f"usable {kib} KiB is more than -m {mem}"
    assert usable >= size - FIRMWARE_MARGIN, (
        f"usable {kib} KiB: {(size - usable) // 1024} KiB short of -m {mem}, more than the "
        f"{FIRMWARE_MARGIN // 1024} KiB the firmware may keep")
    if size >= 4 * GiB:
        assert any(s >= 4 * GiB for s, _ in avail), "no RAM above 4 GiB with -m 4G"


# ----------------------------------------------------------------------------------------------
# The harness itself.

def test_serial_input_and_qmp(vm):
    """Bytes given as serial_input reach the guest UART's receive buffer, and on_match
    callbacks get a working QMP client.  The bytes are sent after a panic report with
    panic=halt: the kernel then sits in cli; hlt and never reads COM1 (it does, by interrupt,
    while it runs), so they stay in the UART, where HMP `i` (port input) reads them back."""
    seen = {}
    end = r"^PANIC: cpu0: end of report; halting \(panic=halt\)$"

    def port(qmp, addr):
        out = qmp.hmp(f"i /b {addr:#x}")            # "portb[0x03fd] = 0x61"
        return int(out.split("=")[1], 16)

    def check(qmp):
        seen["status"] = qmp.cmd("query-status")
        deadline = time.monotonic() + 5
        while not port(qmp, 0x3FD) & 1 and time.monotonic() < deadline:   # LSR.DR
            time.sleep(0.02)
        data = bytearray()
        while port(qmp, 0x3FD) & 1 and len(data) < 16:
            data.append(port(qmp, 0x3F8))           # RBR
        seen["data"] = bytes(data)

    b = vm(cmdline="test=fault:ud panic=halt", until=end,
           serial_input=[(end, b"cadre\n")], on_match=[(end, check)])
    assert not b.timed_out and b.until_match, b.summary()
    assert b.errors == []
    assert seen["status"]["status"] == "running"
    assert seen["data"] == b"cadre\n"


def test_timeout_stops_qemu(vm):
    """A boot that never ends (no test=, no poweroff) is stopped at `timeout`, with rc None."""
    b = vm(timeout=5)
    assert b.timed_out and b.rc is None, b.summary()
    assert 5 <= b.elapsed < 15
    assert b.find(READY), b.summary()


def test_vcpu_count():
    assert qemu.vcpu_count(4) == 4
    assert qemu.vcpu_count("6,sockets=2,cores=3") == 6
    assert qemu.vcpu_count("sockets=2,cores=3,threads=2") == 12
    assert qemu.default_timeout(255) == 30 + 127.5
    assert qemu.default_timeout(4, accel="kvm") == 120


@pytest.mark.kvm
def test_kvm_boot_reaches_ready(vm):
    # GRUB runs in emulated 32-bit code under this machine's PVM KVM: about 20 s to the kernel.
    b = vm(accel="kvm", until=READY)
    assert not b.timed_out and b.until_match, b.summary()
    assert b.errors == [], b.summary()
    check_lines(b)
