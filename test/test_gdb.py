"""gdb against QEMU's gdb stub (issue 7): every AP passes through ap_main once, and the helpers of
tools/gdb/cadre.py read the kernel's per-CPU areas, IDT, counters and routes (docs/debugging.md,
"gdb").

QEMU starts stopped (-S) with its stub on a free local port (-gdb tcp:127.0.0.1:PORT), 4 vCPUs
under TCG; gdb runs in batch mode (`gdb -q -batch -nx -x SCRIPT`) on the kernel ELF, from the
repository root so that the DWARF's relative source paths resolve.  Hardware breakpoints only:
a software breakpoint written before GRUB loads the kernel is overwritten by the load.  QEMU
shows each vCPU as a gdb thread (Thread 1.1 = CPU#0 = the BSP)."""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

import qemu

GDB = os.environ.get("GDB", "gdb")
SMP = 4
GDB_TIMEOUT = 120  # seconds for the whole gdb session (boot to the shell and the helpers: ~5 s)
# A function the BSP calls after smp_init() has brought every AP up: the first that exists.
AFTER_BRINGUP = ["shell_run", "ktest_selection"]

pytestmark = pytest.mark.skipif(shutil.which(GDB) is None,
                                reason=f"{GDB} not found (tools/deps.sh run installs gdb)")

# The gdb script.  A Python loop continues until the after-bring-up breakpoint and counts the
# ap_main hits with the thread (vCPU) of each, so that a missing AP shows as a count, not a hang
# (the test's time limit still bounds a kernel that never gets there).  Markers start with "@@".
SCRIPT = r"""
set pagination off
set confirm off
set height 0
set width 0
set architecture i386:x86-64
source {cadre_py}
target remote 127.0.0.1:{port}
hbreak ap_main
python
import gdb
after = next((f for f in {after!r} if gdb.lookup_global_symbol(f) is not None), None)
print("@@ after", after)
gdb.execute("hbreak " + after)
hits = 0
for _ in range(32):
    gdb.execute("continue")
    frame = gdb.selected_frame()
    name = frame.name()
    thread = gdb.selected_thread().num
    if name == "ap_main":
        hits += 1
        pc_arg = int(frame.read_var("pc"))
        print(f"@@ ap_main hit thread={{thread}} pc={{pc_arg:#x}}")
        continue
    print(f"@@ stopped in {{name}} thread={{thread}}")
    break
print(f"@@ ap_main hits {{hits}}")
end
delete
echo @@ cadre-cpus\n
cadre-cpus
echo @@ cadre-irqs\n
cadre-irqs
echo @@ cadre-routes\n
cadre-routes
echo @@ cadre-idt\n
cadre-idt 0-8
echo @@ cadre-percpu\n
cadre-percpu 1
echo @@ end\n
kill
"""


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    """Whether something listens on 127.0.0.1:port (/proc/net/tcp; connecting would take the gdb
    stub's only connection)."""
    want = f":{port:04X} "
    try:
        with open("/proc/net/tcp") as f:
            return any(want in line and line.split()[3] == "0A" for line in f.readlines()[1:])
    except OSError:
        return False


def elf_path():
    return os.environ.get("CADRE_ELF") or os.path.join(os.path.dirname(qemu.iso_path()), "cadre.elf")


def start_qemu(tmp, serial):
    """QEMU stopped at the first instruction with its gdb stub up; (proc, port).  Retries with
    another port if the chosen one was taken meanwhile."""
    for _ in range(3):
        port = free_port()
        cmd = [qemu.QEMU, "-M", "q35", "-m", "256M", "-smp", str(SMP), "-accel", "tcg",
               "-display", "none", "-no-reboot", "-monitor", "none", "-serial", f"file:{serial}",
               "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
               "-cdrom", qemu.iso_path(), "-boot", "d", "-S", "-gdb", f"tcp:127.0.0.1:{port}"]
        err = open(os.path.join(tmp, "qemu.stderr"), "wb")
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=subprocess.STDOUT)
        err.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            if listening(port):
                return proc, port
            time.sleep(0.05)
        stop(proc)
    raise RuntimeError("QEMU's gdb stub did not start: " + qemu._read_text(os.path.join(tmp, "qemu.stderr")))


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def section(out, name):
    """The lines of gdb's output between '@@ name' and the next '@@ ' marker."""
    m = re.search(rf"^@@ {re.escape(name)}\n(.*?)(?=^@@ )", out, re.S | re.M)
    return m.group(1).splitlines() if m else []


def test_gdb_ap_main_once_per_ap_and_helpers():
    for path, what in ((qemu.iso_path(), "ISO"), (elf_path(), "kernel ELF")):
        if not os.path.isfile(path):
            pytest.fail(f"no {what} at {path}: run `make iso` (or set CADRE_ISO / CADRE_ELF)")
    tmp = tempfile.mkdtemp(prefix="cadre-gdb-")
    serial = os.path.join(tmp, "serial.log")
    proc, port = start_qemu(tmp, serial)
    script = os.path.join(tmp, "test.gdb")
    with open(script, "w") as f:
        f.write(SCRIPT.format(cadre_py=os.path.join(qemu.REPO, "tools", "gdb", "cadre.py"), port=port,
                              after=AFTER_BRINGUP))
    out, rc, timed_out = "", None, False
    try:
        try:
            r = subprocess.run([GDB, "-q", "-batch", "-nx", "-x", script, elf_path()], cwd=qemu.REPO,
                               stdin=subprocess.DEVNULL, capture_output=True, timeout=GDB_TIMEOUT)
            out = (r.stdout + r.stderr).decode("utf-8", "replace")
            rc = r.returncode
        except subprocess.TimeoutExpired as e:
            timed_out = True
            out = ((e.stdout or b"") + (e.stderr or b"")).decode("utf-8", "replace")
    finally:
        stop(proc)
    log = qemu._read_text(serial).replace("\r", "")
    shown = "\n".join(l for l in out.splitlines() if "in address map, but not in symtab" not in l
                      and "read in CU, but not in symtab" not in l)
    ctx = (f"gdb status {rc}{' (timed out after %d s)' % GDB_TIMEOUT if timed_out else ''}\n"
           f"--- gdb output ---\n{shown[-12000:]}\n--- serial log (last 60 lines) ---\n"
           + "\n".join(log.splitlines()[-60:]) + "\n--- QEMU stderr ---\n"
           + qemu._read_text(os.path.join(tmp, "qemu.stderr")))
    shutil.rmtree(tmp, ignore_errors=True)

    assert not timed_out, ctx
    assert "Python Exception" not in out and "Error occurred in Python" not in out, ctx

    # ap_main: once per AP, each on its own vCPU (never the BSP's thread 1), each with its own area.
    hits = re.findall(r"^@@ ap_main hit thread=(\d+) pc=(0x[0-9a-f]+)$", out, re.M)
    assert len(hits) == SMP - 1, f"ap_main hit {len(hits)} times for {SMP - 1} APs\n{ctx}"
    assert len({t for t, _ in hits}) == SMP - 1 and "1" not in {t for t, _ in hits}, ctx
    assert len({p for _, p in hits}) == SMP - 1, ctx
    after = re.search(r"^@@ stopped in (\w+) thread=1$", out, re.M)
    assert after and after.group(1) in AFTER_BRINGUP, ctx

    # cadre-cpus: SMP rows, all online, distinct GS bases, each matched to its own vCPU thread.
    rows = [l.split() for l in section(out, "cadre-cpus")[1:]]
    rows = [r for r in rows if r and r[0].isdigit()]
    assert [int(r[0]) for r in rows] == list(range(SMP)), ctx
    assert all(r[2] == "online" for r in rows), ctx
    assert len({r[3] for r in rows}) == SMP, ctx
    assert rows[0][3].startswith("ffffffff8"), "the BSP's area is the static bsp_percpu\n" + ctx
    threads = [r[-1] for r in rows]
    assert "-" not in threads and len(set(threads)) == SMP and threads[0] == "1", ctx

    # cadre-irqs: one column per CPU; the NMI and spurious rows are always there.
    irqs = section(out, "cadre-irqs")
    assert irqs and irqs[0].split()[2:] == [f"cpu{i}" for i in range(SMP)], ctx
    assert any(l.split()[:2] == ["-", "NMI"] for l in irqs), ctx

    # cadre-routes: either the table or the clear message of a kernel without the symbol.
    routes = section(out, "cadre-routes")
    assert routes and (routes[0].split()[:3] == ["irq", "gsi", "vector"]
                       or routes[0].startswith("no I/O APIC routes in this kernel")), ctx

    # cadre-idt 0-8: the IST gates of DESIGN.md (IST1 #DF, IST2 NMI, IST3 #DB), #BP at DPL 3.
    gates = {int(l.split()[0], 16): l.split() for l in section(out, "cadre-idt")[1:] if l.startswith("0x")}
    assert sorted(gates) == list(range(9)), ctx
    assert all(g[5] == "interrupt" and g[6] == "1" for g in gates.values()), ctx
    assert (gates[8][3], gates[2][3], gates[1][3]) == ("1", "2", "3"), ctx
    assert gates[3][4] == "3" and gates[0][4] == "0", ctx

    # cadre-percpu 1: gdb's print, then the decoded part.
    percpu = "\n".join(section(out, "cadre-percpu"))
    assert "--- cpu1 decoded ---" in percpu and re.search(r"^state +online", percpu, re.M), ctx
    assert "corrupt" not in percpu and "TSS IST != stack top" not in percpu, ctx
