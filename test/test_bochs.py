"""cadre under Bochs (issue 7): the same ISO that QEMU boots comes up on every CPU in Bochs 2.7,
whose BIOS builds different ACPI tables (RSDT with an SSDT, I/O APIC ID = number of CPUs, no
LAPIC NMI entry) and leaves LINT1 masked; see docs/debugging.md, "Bochs".

The boot goes through `tools/bochs.sh --headless ISO LOGDIR` (what a person can run by hand),
which writes COM1 to LOGDIR/com1.log, port 0xE9 to LOGDIR/e9.log and stops Bochs (SIGKILL: it
has no isa-debug-exit and ignores SIGTERM) once COM1 has a line matching BOCHS_UNTIL, or at
its hard time limit.  The logs stay under build/test-logs/ ($CADRE_TEST_LOGS)."""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

import qemu

BOCHS = os.environ.get("BOCHS", "bochs-bin")
SCRIPT = os.path.join(qemu.REPO, "tools", "bochs.sh")
# Bochs' own limit; the boot itself takes 5-15 s with 4 CPUs (more on a loaded host).
BOCHS_TIMEOUT = 90
# Stop at the ready line, or at the end of a panic report (no use waiting for the time limit).
UNTIL = r"cpu[0-9]+: (cadre: ready: [0-9]+ cpus online|PANIC: cpu[0-9]+: end of report)"

pytestmark = pytest.mark.skipif(
    shutil.which(BOCHS) is None,
    reason=f"{BOCHS} not found: Bochs is not installed (`make test` installs it: tools/deps.sh test "
           "-> Debian packages bochs bochsbios vgabios bochs-term)")


class BochsRun:
    def __init__(self, logdir, rc, stderr, elapsed):
        self.logdir, self.rc, self.stderr, self.elapsed = logdir, rc, stderr, elapsed
        self.com1 = _read(os.path.join(logdir, "com1.log")).replace("\r", "")
        self.e9 = _read(os.path.join(logdir, "e9.log")).replace("\r", "")
        self.bochs_log = _read(os.path.join(logdir, "bochs.log"))

    def texts(self):
        out = []
        for line in self.com1.split("\n"):
            m = qemu.LINE_RE.match(line)
            if m:
                out.append(m.group(4))
        return out

    def find(self, regex):
        rx = re.compile(regex)
        return next((m for m in (rx.search(t) for t in self.texts()) if m), None)

    def findall(self, regex):
        rx = re.compile(regex)
        return [m for m in (rx.search(t) for t in self.texts()) if m]

    def describe(self, tail=120):
        lines = self.com1.split("\n")
        problems = [l for l in self.bochs_log.split("\n") if re.match(r"^\d+[ep]\[", l)]
        out = [f"tools/bochs.sh status {self.rc} after {self.elapsed:.1f} s; logs in {self.logdir}",
               "tools/bochs.sh said:", self.stderr.strip() or "(nothing)",
               f"bochs.log errors and panics ({len(problems)}):", *problems[-30:],
               f"COM1 (last {tail} of {len(lines)} lines):", *lines[-tail:]]
        return "\n".join(out)


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def bochs_boot(smp, until=UNTIL, timeout=BOCHS_TIMEOUT, cmdline=""):
    os.makedirs(qemu.log_dir(), exist_ok=True)
    logdir = tempfile.mkdtemp(prefix=f"test_bochs-smp{smp}-", dir=qemu.log_dir())
    env = dict(os.environ, SMP=str(smp), CMDLINE=cmdline, BOCHS=BOCHS, BOCHS_UNTIL=until,
               BOCHS_TIMEOUT=str(timeout))
    t0 = time.monotonic()
    # A session of its own, so that a hung script can be stopped with everything under it.  The
    # script's own trap kills Bochs' process group; timeout -s KILL bounds Bochs regardless.
    proc = subprocess.Popen([SCRIPT, "--headless", qemu.iso_path(), logdir], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout + 30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
    return BochsRun(logdir, proc.returncode, out.decode("utf-8", "replace"), time.monotonic() - t0)


@pytest.mark.parametrize("n", [4])
def test_bochs_boots_every_cpu(n):
    if not os.path.isfile(qemu.iso_path()):
        pytest.fail(f"no ISO at {qemu.iso_path()}: run `make iso` (or set CADRE_ISO)")
    r = bochs_boot(n)
    ctx = r.describe()
    assert r.rc == 0, f"tools/bochs.sh did not see the ready line\n{ctx}"
    assert r.find(rf"^cadre: ready: {n} cpus online$"), ctx
    assert r.find(rf"^smp: {n} of {n} cpus online in \d+ us"), ctx
    assert not r.find(r"PANIC"), ctx
    assert not r.find(r"did not start|did not finish"), ctx
    warnings = r.findall(r"^(acpi|apic|ioapic|irq|smp|percpu|cpu):.*\bwarning\b.*")
    assert not warnings, "ACPI/APIC warnings under Bochs:\n" + "\n".join(m.group(0) for m in warnings) + "\n" + ctx
    # What Bochs' BIOS does differently, and what the kernel must have made of it.
    assert r.find(r"^acpi: tables: .*\bSSDT\b"), ctx
    assert r.find(rf"^acpi: MADT: {n} cpus \({n} enabled\)"), ctx
    madt_ioapic = r.find(r"^acpi: MADT: ioapic id (\d+) ")
    assert madt_ioapic, ctx
    # The I/O APIC is programmed under its MADT ID, which under Bochs is not 0.
    ioapic = r.find(r"^ioapic: id (\d+) ")
    if ioapic:
        assert ioapic.group(1) == madt_ioapic.group(1), ctx
    # Each CPU online under its own APIC ID, CPU numbers dense.
    rows = [(c, a) for c, a, state in qemu.cpu_table(r) if state.startswith("online")]
    assert sorted(c for c, _ in rows) == list(range(n)), ctx
    assert len({a for _, a in rows}) == n, ctx
    # Port 0xE9 mirrors the console: the ready line is in Bochs' stdout too.
    assert f"cadre: ready: {n} cpus online" in r.e9, "port 0xE9 (e9.log) lacks the ready line\n" + ctx
