#!/usr/bin/python3
"""Dump a QEMU guest's ACPI tables as a physical memory image for the host-side tests.

Boots the kernel ISO in QEMU, waits for "cadre: ready" on the serial port, then reads guest
physical memory through QMP (`pmemsave`): the RSDP (found the way ACPI 6.5 §5.2.5.1 says), the
RSDT/XSDT, every table they list, and the DSDT and FACS the FADT points to.  The output file is
the format test/host/fakemem.c loads:

    "CADRMEM1"            8 bytes, magic
    u64 rsdp_phys         where the RSDP is
    then chunks until the end of the file:
    u64 base, u64 length, length bytes of memory from `base`

all little-endian.  Tables that lie close together are merged into one chunk.  With --bios the
image also holds the BIOS data area word at 0x40E, the first KiB of the EBDA and the whole of
0xE0000-0xFFFFF, so the RSDP search can run over it; without it, only the RSDP itself.

With --mptable QEMU runs with -no-acpi, and the image holds what an Intel MP table search reads
(MP spec 1.4 §4): the BIOS data area words at 0x40E (the EBDA's segment) and 0x413 (base memory
in KiB), the first KiB of the EBDA, the last KiB of base memory, 0xF0000-0xFFFFF, and the MP
configuration table the floating pointer names (base and extended parts); the u64 after the
magic is then the floating pointer's address.

With --bochs the ISO is booted in Bochs (its own BIOS, BIOS-bochs-latest) instead: its debugger
stops at the boot sector (0x7c00), when the BIOS has built its tables, and saves all of RAM.

Examples (run by hand; the outputs are committed under test/host/data/):
    tools/dump-acpi.py --machine pc --smp 4 --bios -o test/host/data/qemu-pc-smp4.mem
    tools/dump-acpi.py --bochs --smp 4 --bios -o test/host/data/bochs-smp4.mem
    tools/dump-acpi.py --machine pc --smp 4 --mptable -o test/host/data/qemu-pc-smp4-noacpi.mp
"""
import argparse
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

MAGIC = b"CADRMEM1"
BDA_EBDA_SEG = 0x40E         # ACPI 6.5 §5.2.5.1: the EBDA's segment, a u16 in the BIOS data area
EBDA_SEARCH_LEN = 1024       # only the EBDA's first KiB is searched
BIOS_AREA = (0xE0000, 0x20000)  # 0xE0000-0xFFFFF
HEADER_LEN = 36              # ACPI 6.5 §5.2.6
MERGE_GAP = 4096
PMEM_FILE = "pmem.bin"
# MP spec 1.4 §4 and Table 4-2
BDA_BASE_MEM_KIB = 0x413     # u16: base memory size in KiB
MP_ROM_AREA = (0xF0000, 0x10000)
MPFP_LEN = 16
MPC_HEADER_LEN = 44


class Qmp:
    def __init__(self, path, timeout=30):
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.buf = b""
        self._read()  # greeting
        self.cmd("qmp_capabilities")

    def _read(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("QMP closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, **args):
        self.sock.sendall(json.dumps({"execute": name, "arguments": args}).encode() + b"\n")
        while True:
            msg = self._read()
            if "return" in msg:
                return msg["return"]
            if "error" in msg:
                raise RuntimeError(f"QMP {name}: {msg['error']}")
            # asynchronous events: ignore


class Guest:
    def __init__(self, qmp, tmpdir):
        self.qmp = qmp
        # QEMU runs in tmpdir: HMP would read a '/' after the size as a division.
        self.tmp = os.path.join(tmpdir, PMEM_FILE)

    def read(self, addr, size):
        out = self.qmp.cmd("human-monitor-command",
                           **{"command-line": f"pmemsave {addr:#x} {size:#x} {PMEM_FILE}"})
        if out:
            raise RuntimeError(f"pmemsave {addr:#x} {size:#x}: {out.strip()}")
        with open(self.tmp, "rb") as f:
            data = f.read()
        if len(data) != size:
            raise RuntimeError(f"pmemsave {addr:#x} {size:#x}: got {len(data)} bytes")
        return data


class RawMemory:
    """Guest memory saved as one file from physical address 0."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = f.read()

    def read(self, addr, size):
        if addr + size > len(self.data):
            raise RuntimeError(f"{addr:#x}+{size:#x} is beyond the saved {len(self.data):#x} bytes")
        return self.data[addr:addr + size]


BOCHSRC = """megs: {megs}
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
cpu: count={cpus}, ips=50000000
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
ata0-master: type=cdrom, path={iso}, status=inserted
boot: cdrom
display_library: term
log: bochs.log
"""
BOCHS_MEGS = 32
# Debugger commands: stop where the BIOS hands over to the boot sector, save RAM, leave.
BOCHS_COMMANDS = f"""lb 0x7c00
c
writemem "mem.bin" 0 {BOCHS_MEGS << 20:#x}
quit
"""


def bochs_memory(args, tmp):
    with open(os.path.join(tmp, "bochsrc"), "w") as f:
        f.write(BOCHSRC.format(megs=BOCHS_MEGS, cpus=args.smp, iso=os.path.abspath(args.iso)))
    with open(os.path.join(tmp, "cmds"), "w") as f:
        f.write(BOCHS_COMMANDS)
    subprocess.run(["bochs", "-q", "-f", "bochsrc", "-rc", "cmds"], cwd=tmp, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=args.timeout)
    return RawMemory(os.path.join(tmp, "mem.bin"))


def checksum_ok(data):
    return sum(data) & 0xFF == 0


def find_rsdp(area, base):
    for off in range(0, len(area) - 20 + 1, 16):
        if area[off:off + 8] != b"RSD PTR " or not checksum_ok(area[off:off + 20]):
            continue
        if area[off + 15] >= 2 and (off + 36 > len(area) or not checksum_ok(area[off:off + 36])):
            continue
        return base + off
    return None


def collect_tables(guest, rsdp_phys):
    """Returns a list of (phys, length, signature) for every table reachable from the RSDP."""
    rsdp = guest.read(rsdp_phys, 36)
    rev = rsdp[15]
    rsdt = struct.unpack_from("<I", rsdp, 16)[0]
    xsdt = struct.unpack_from("<Q", rsdp, 24)[0] if rev >= 2 else 0
    tables = []

    def table(phys):
        hdr = guest.read(phys, HEADER_LEN)
        sig = hdr[:4].decode("ascii", "replace")
        length = struct.unpack_from("<I", hdr, 4)[0]
        tables.append((phys, length, sig))
        return guest.read(phys, length)

    for root, esize, fmt in ((rsdt, 4, "<I"), (xsdt, 8, "<Q")):
        if not root:
            continue
        data = table(root)
        for off in range(HEADER_LEN, len(data), esize):
            phys = struct.unpack_from(fmt, data, off)[0]
            if any(t[0] == phys for t in tables):
                continue
            body = table(phys)
            if body[:4] == b"FACP":
                # FIRMWARE_CTRL (36), DSDT (40), X_FIRMWARE_CTRL (132), X_DSDT (140): ACPI 6.5 §5.2.9
                ptrs = [struct.unpack_from("<I", body, 36)[0], struct.unpack_from("<I", body, 40)[0]]
                if len(body) >= 148:
                    ptrs += list(struct.unpack_from("<QQ", body, 132))
                for p in ptrs:
                    if p and not any(t[0] == p for t in tables):
                        table(p)
    return tables, rev, rsdt, xsdt


def merge(ranges):
    out = []
    for base, length in sorted(ranges):
        if out and base <= out[-1][0] + out[-1][1] + MERGE_GAP:
            end = max(out[-1][0] + out[-1][1], base + length)
            out[-1] = (out[-1][0], end - out[-1][0])
        else:
            out.append((base, length))
    return out


def dump(guest, bios):
    bda = guest.read(BDA_EBDA_SEG, 2)
    ebda = struct.unpack("<H", bda)[0] << 4
    rsdp_phys = None
    search = []
    if ebda:
        search.append((ebda, EBDA_SEARCH_LEN))
    search.append(BIOS_AREA)
    areas = {}
    for base, size in search:
        areas[base] = guest.read(base, size)
        rsdp_phys = rsdp_phys or find_rsdp(areas[base], base)
    if rsdp_phys is None:
        sys.exit("dump-acpi: no RSDP found")
    tables, rev, rsdt, xsdt = collect_tables(guest, rsdp_phys)

    chunks = []
    if bios:
        chunks.append((BDA_EBDA_SEG, bda))
        for base, size in search:
            chunks.append((base, areas[base]))
    else:
        chunks.append((rsdp_phys, guest.read(rsdp_phys, 36 if rev >= 2 else 20)))
    for base, length in merge([(t[0], t[1]) for t in tables]):
        chunks.append((base, guest.read(base, length)))
    return chunks, tables, rsdp_phys, rev, rsdt, xsdt


def find_mpfp(area, base):
    for off in range(0, len(area) - MPFP_LEN + 1, 16):
        if area[off:off + 4] == b"_MP_" and checksum_ok(area[off:off + MPFP_LEN]):
            return base + off
    return None


def dump_mptable(guest):
    bda = guest.read(BDA_EBDA_SEG, 2)
    basemem = guest.read(BDA_BASE_MEM_KIB, 2)
    ebda = struct.unpack("<H", bda)[0] << 4
    top = struct.unpack("<H", basemem)[0] << 10
    search = []
    if ebda:
        search.append((ebda, EBDA_SEARCH_LEN))
    if top >= 1024:
        search.append((top - 1024, 1024))
    search.append(MP_ROM_AREA)
    chunks = [(BDA_EBDA_SEG, bda), (BDA_BASE_MEM_KIB, basemem)]
    fp = None
    for base, size in search:
        data = guest.read(base, size)
        chunks.append((base, data))
        fp = fp or find_mpfp(data, base)
    if fp is None:
        sys.exit("dump-acpi: no MP floating pointer found")
    mpc = struct.unpack_from("<I", guest.read(fp, MPFP_LEN), 4)[0]
    info = [f"MP floating pointer at {fp:#x}, configuration table at {mpc:#x}"]
    if mpc:
        hdr = guest.read(mpc, MPC_HEADER_LEN)
        base_len, = struct.unpack_from("<H", hdr, 4)
        ext_len, = struct.unpack_from("<H", hdr, 40)
        entries, = struct.unpack_from("<H", hdr, 34)
        if not any(b <= mpc < b + len(d) for b, d in chunks):
            chunks.append((mpc, guest.read(mpc, base_len + ext_len)))
        info.append(f"  PCMP: {base_len} bytes, {entries} entries, {ext_len} extended bytes")
    return chunks, fp, info


def qemu_dump(args, tmp):
    log = os.path.join(tmp, "serial.log")
    sock = os.path.join(tmp, "qmp.sock")
    cmd = [args.qemu, "-M", args.machine, "-accel", "tcg", "-smp", args.smp, "-m", args.mem,
           "-display", "none", "-serial", f"file:{log}", "-monitor", "none",
           "-qmp", f"unix:{sock},server=on,wait=off", "-cdrom", os.path.abspath(args.iso),
           "-boot", "d"] + (["-no-acpi"] if args.mptable else [])
    qemu = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, cwd=tmp)
    try:
        qmp = Qmp(sock)
        deadline = time.time() + args.timeout
        while b"cadre: ready" not in (open(log, "rb").read() if os.path.exists(log) else b""):
            if time.time() > deadline or qemu.poll() is not None:
                sys.exit(f"dump-acpi: no 'cadre: ready' within {args.timeout}s: {' '.join(cmd)}")
            time.sleep(0.2)
        result = dump_mptable(Guest(qmp, tmp)) if args.mptable else dump(Guest(qmp, tmp), args.bios)
        qmp.cmd("quit")
        return result
    finally:
        try:
            qemu.wait(timeout=10)
        except subprocess.TimeoutExpired:
            qemu.kill()


def write(path, first, chunks):
    with open(path, "wb") as f:
        f.write(MAGIC + struct.pack("<Q", first))
        for base, data in chunks:
            f.write(struct.pack("<QQ", base, len(data)) + data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--machine", default="pc")
    ap.add_argument("--smp", default="4")
    ap.add_argument("--mem", default="128M")
    ap.add_argument("--iso", default="build/cadre.iso")
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--bios", action="store_true", help="include the RSDP search areas")
    ap.add_argument("--bochs", action="store_true", help="boot in Bochs rather than QEMU")
    ap.add_argument("--mptable", action="store_true", help="-no-acpi; dump the Intel MP table instead")
    ap.add_argument("--timeout", type=float, default=90)
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()

    if args.mptable:
        with tempfile.TemporaryDirectory() as tmp:
            chunks, fp, info = qemu_dump(args, tmp)
        write(args.output, fp, chunks)
        print("\n".join(info))
        return
    with tempfile.TemporaryDirectory() as tmp:
        if args.bochs:
            chunks, tables, rsdp_phys, rev, rsdt, xsdt = dump(bochs_memory(args, tmp), args.bios)
        else:
            chunks, tables, rsdp_phys, rev, rsdt, xsdt = qemu_dump(args, tmp)
    write(args.output, rsdp_phys, chunks)
    print(f"RSDP at {rsdp_phys:#x} rev {rev}, RSDT {rsdt:#x}, XSDT {xsdt:#x}")
    for phys, length, sig in tables:
        print(f"  {sig} at {phys:#x}, {length} bytes")
    print(f"wrote {args.output}: {len(chunks)} chunks, {os.path.getsize(args.output)} bytes")


if __name__ == "__main__":
    main()
