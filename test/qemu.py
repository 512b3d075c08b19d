"""Boot cadre's ISO in QEMU and read what the kernel printed.

One call, one boot:

    import qemu
    b = qemu.boot("test=all", smp=4, machine="q35")
    assert b.rc == qemu.EXIT_PASS, b.summary()
    for ok, number, name, directive, diagnostics in b.ktap().tests: ...

Used by the pytest suite in test/ (through the `vm` fixture of test/conftest.py, which shows
each boot's command and serial log when a test fails) and by benchmark scripts.  Standard
library only (Debian's /usr/bin/python3, 3.11).

What a boot is made of
----------------------
* The ISO is $CADRE_ISO, else <repo>/build/cadre.iso (what `make iso` and `make run` use).
* QEMU: `-M MACHINE -m MEM -smp SMP -display none -no-reboot -monitor none -boot d`, TCG by
  default (accel="kvm": `-accel kvm -cpu host,-arch-capabilities`, see KVM_CPU; no -accel
  at all when MACHINE already says `accel=`), isa-debug-exit at 0xf4 so the kernel can end
  the run with a status, port 0xE9 (debugcon) to a file, a QMP unix socket
  (`-qmp unix:DIR/qmp.sock,server=on,wait=off`), and COM1 on a socket (below).
  `-nodefaults` is not used: it boots fine but saves no time (measured: 0.44 s either way)
  and would make the tests' machine differ from the one `make run` starts (no VGA, no NIC).
* Firmware: firmware="bios" (the default) is QEMU's own SeaBIOS; firmware="uefi" adds
  `-bios OVMF` (OVMF_FD: Debian's ovmf package, /usr/share/ovmf/OVMF.fd, code and variable
  store in one image).  With -bios QEMU maps it read-only and OVMF keeps its variables in RAM,
  so no writable copy of OVMF_VARS is needed and parallel boots share the file.  The same
  hybrid ISO boots under both (docs/boot.md).  OVMF needs about 3 s of TCG before GRUB, and
  this machine's KVM cannot run it at all (tooling-facts.md): see default_timeout.
* The command line goes through a temporary file to `-fw_cfg name=opt/cadre/cmdline,file=F`
  (only when it is non-empty); the kernel appends it to GRUB's (`panic=exit`).
* Every boot has a private temporary directory (sockets, command-line file, debugcon, QEMU's
  stderr), removed afterwards, so boots can run in parallel (pytest-xdist).  The serial log is
  kept as <repo>/build/test-logs/<name>-<n>.log ($CADRE_TEST_LOGS overrides the directory);
  n is taken with O_EXCL, so it is unique across parallel processes.

The serial port: how the log is captured and how input gets in
---------------------------------------------------------------
The harness listens on DIR/serial.sock and QEMU connects to it as a client when it starts:
`-chardev socket,id=ser0,path=DIR/serial.sock,server=off -serial chardev:ser0`.  A reader
thread takes every byte from that connection and appends it to the log file as it comes (so
the log is there, up to the last byte received, even if this process dies); `serial_input`
bytes go the other way on the same connection.  Because QEMU connects before the guest runs,
nothing is lost: GRUB's escape codes arrive too.

Why not the chardev's own `logfile=`: checked on QEMU 7.2, it is exact (byte-for-byte the
`-serial file:` output) only while no client is connected.  With a client connected -- which
serial input needs -- the logfile repeated single bytes a few times per boot (e.g.
"onlline", "9fcc00") while the socket stream itself was exact.  So the socket stream is
the log, for every boot, and there is one code path.  test_boot.py checks that the log
matches what the kernel wrote to port 0xE9 (which gets the same bytes minus the CRs), and,
with QEMU's HMP `i` (port read), that serial_input bytes reach the UART's receive buffer.

serial="file" (for timings): COM1 goes to `-serial file:DIR/serial.out`, which a thread
follows into the same log file and memory.  Measured on this machine (QEMU 7.2, TCG), one
byte costs the guest's `out` to the THR about 6 us through the socket with a client connected
(each byte is a sendmsg of its own, and a reader's wake-up) and about 0.6 us into a file; a
boot prints about 4 KB before `ready` at -smp 1, so the sink alone moves `ready` by ~20 ms.
Benchmarks of boot time use the file (tools/bench.py); such a boot takes no serial input.

Lines
-----
A kernel line is `[SSSSS.UUUUUU] cpuN: text` (CRLF line ends; Boot.log has the CRs removed).
GRUB writes escape codes and "  Booting `cadre'" first, so kernel lines are found by their
prefix, never by position.  Patterns (`until`, `on_match`, `serial_input`, Boot.find) are
regular expressions searched (re.search) in the text part of each kernel line, i.e. after
the "cpuN: " prefix.

Exit status
-----------
isa-debug-exit gives (code << 1) | 1: EXIT_PASS 33, EXIT_FAIL 35, EXIT_PANIC 37, EXIT_POWEROFF
39.  A triple fault under -no-reboot, or QEMU's own `quit`, gives 0: 0 never means success.
Boot.rc is None when the harness stopped QEMU itself (`until` matched, or the time ran out;
Boot.timed_out tells which).  The time limit defaults to 30 s + 0.5 s per vCPU under TCG
and 120 s under KVM.  QEMU does not exit after a "KVM internal error" (it stops the VM and
waits); the harness sees that on QEMU's stderr and ends the boot at once, with a note in
Boot.errors.

Beyond the documented fields a Boot also carries: name, cmdline, elapsed (seconds), stderr
(QEMU's), debugcon (port 0xE9, CRs removed), until_match, errors (harness trouble), and the
helpers index(regex) (position in texts()), malformed_lines(), status(), summary() (one line
for assertion messages) and describe(tail) (command, status and log tail, which conftest.py
puts in failure reports).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from typing import Callable, NamedTuple, Sequence

EXIT_PASS, EXIT_FAIL, EXIT_PANIC, EXIT_POWEROFF = 33, 35, 37, 39
EXIT_NAMES = {
    EXIT_PASS: "tests passed",
    EXIT_FAIL: "a test failed",
    EXIT_PANIC: "kernel panic",
    EXIT_POWEROFF: "poweroff through isa-debug-exit",
    0: "QEMU exited normally (triple fault, ACPI poweroff or quit): not a pass",
}

OVMF_FD = os.environ.get("CADRE_OVMF", "/usr/share/ovmf/OVMF.fd")
FIRMWARES = ("bios", "uefi")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")

# `[SSSSS.UUUUUU] cpuN: text`; the text may be empty.
LINE_RE = re.compile(r"^\[(\d{5})\.(\d{6})\] cpu(\d+): (.*)$")
_PANIC_START_RE = re.compile(r"^PANIC: cpu\d+: ")
_PANIC_END_RE = re.compile(r"^PANIC: cpu\d+: end of report")

POLL_INTERVAL = 0.01  # seconds between looks at the serial log

# The CPU model for accel="kvm" when the caller names none.  Plain `-cpu host` makes QEMU 7.2
# abort at once on this machine's PVM KVM ("failed to set MSR 0x10a to 0x69", then an assertion
# in kvm_buf_set_msrs): the host offers IA32_ARCH_CAPABILITIES but refuses the write.  Hiding
# that MSR from the guest costs nothing (cadre does not read it) and is harmless on VT-x/SVM.
KVM_CPU = "host,-arch-capabilities"

# QEMU does not exit after these; it stops the VM and waits.  Seeing one on its stderr ends the
# boot at once instead of at the timeout.
QEMU_STUCK_RE = re.compile(r"KVM internal error|emulation failure")


def iso_path() -> str:
    return os.environ.get("CADRE_ISO") or os.path.join(REPO, "build", "cadre.iso")


def log_dir() -> str:
    return os.environ.get("CADRE_TEST_LOGS") or os.path.join(REPO, "build", "test-logs")


def vcpu_count(smp: int | str) -> int:
    """The number of vCPUs an -smp value asks for ("6", "6,sockets=2,cores=3", "sockets=2,cores=2")."""
    if isinstance(smp, int):
        return smp
    parts = str(smp).split(",")
    opts = {}
    for p in parts:
        if "=" in p:
            k, v = p.split("=", 1)
            opts[k.strip()] = v.strip()
        elif p.strip():
            opts["cpus"] = p.strip()
    try:
        if "cpus" in opts:
            return int(opts["cpus"])
        n = 1
        for k in ("sockets", "dies", "clusters", "cores", "threads"):
            n *= int(opts.get(k, 1))
        return n
    except ValueError:
        return 1


def default_timeout(smp: int | str = 1, accel: str = "tcg", firmware: str = "bios") -> float:
    """30 s + 0.5 s per vCPU under TCG (SeaBIOS starts every AP: -smp 255 takes ~8 s before
    GRUB); 120 s under this machine's KVM, where GRUB alone takes 11-16 s (tooling-facts §2).
    OVMF adds 30 s (about 4 s of firmware under TCG when the host is idle, far more under load)."""
    if accel == "kvm":
        return 120.0
    return 30.0 + 0.5 * vcpu_count(smp) + (30.0 if firmware == "uefi" else 0.0)


# --------------------------------------------------------------------------------------------
# KTAP


class KtapTest(NamedTuple):
    """One top-level KTAP result line: `ok 3 name # SKIP reason`.

    directive is the whole text after " # " (e.g. "SKIP no APIC" or "no such test"), or None;
    `kind` is its KTAP directive keyword (SKIP, TODO, XFAIL, TIMEOUT, ERROR) if it starts with
    one.  diagnostics are the `# ...` lines printed since the previous result line (the kernel
    prints a test's diagnostics before its result), without the "# "."""

    ok: bool
    number: int
    name: str
    directive: str | None
    diagnostics: list[str]

    @property
    def kind(self) -> str | None:
        if self.directive:
            word = self.directive.split(None, 1)[0].upper()
            if word in ("SKIP", "TODO", "XFAIL", "TIMEOUT", "ERROR"):
                return word
        return None

    @property
    def skipped(self) -> bool:
        return self.kind == "SKIP"

    def __str__(self) -> str:
        s = f"{'ok' if self.ok else 'not ok'} {self.number} {self.name}"
        return s + (f" # {self.directive}" if self.directive else "")


@dataclasses.dataclass
class KtapResult:
    version: int | None = None        # N from "KTAP version N", None if no version line
    plan: int | None = None           # N from "1..N"
    tests: list[KtapTest] = dataclasses.field(default_factory=list)
    trailing: list[str] = dataclasses.field(default_factory=list)  # "# ..." after the last result
    summary: tuple[int, int] | None = None  # (run, failed) from "# cadre tests: R run, F failed"
    problems: list[str] = dataclasses.field(default_factory=list)

    @property
    def failed(self) -> list[KtapTest]:
        return [t for t in self.tests if not t.ok]

    @property
    def passed(self) -> bool:
        """Version seen, plan kept, numbering right, no problems, nothing `not ok`."""
        return self.version is not None and not self.problems and not self.failed

    def describe(self) -> str:
        out = [f"KTAP version {self.version}, plan {self.plan}, {len(self.tests)} results"]
        for t in self.failed:
            out += [str(t)] + [f"    # {d}" for d in t.diagnostics]
        out += [f"problem: {p}" for p in self.problems]
        return "\n".join(out)


_KTAP_VERSION_RE = re.compile(r"^KTAP version (\d+)\s*$")
_KTAP_PLAN_RE = re.compile(r"^1\.\.(\d+)\s*$")
_KTAP_RESULT_RE = re.compile(r"^(ok|not ok) (\d+)(?: ([^#]*?))?\s*(?:#\s*(.*?))?\s*$")
_CADRE_SUMMARY_RE = re.compile(r"^# cadre tests: (\d+) run, (\d+) failed$")


def parse_ktap(texts: Sequence[str]) -> KtapResult:
    """Parses the top level of the first KTAP document in `texts` (kernel line texts).

    Everything before the first top-level "KTAP version" line is ignored; after it, lines
    indented by whitespace (subtests, register dumps) and lines that are not KTAP are ignored,
    as the KTAP specification allows."""
    r = KtapResult()
    started = False
    pending: list[str] = []
    expect = 1
    for text in texts:
        if not started:
            m = _KTAP_VERSION_RE.match(text)
            if m:
                started = True
                r.version = int(m.group(1))
            elif _KTAP_RESULT_RE.match(text) or _KTAP_PLAN_RE.match(text):
                r.problems.append(f"KTAP line before the version line: {text!r}")
            continue
        if text[:1].isspace():
            continue
        if _KTAP_VERSION_RE.match(text):
            r.problems.append(f"second top-level version line: {text!r}")
            continue
        m = _KTAP_PLAN_RE.match(text)
        if m:
            if r.plan is not None:
                r.problems.append(f"second plan line: {text!r}")
            elif r.tests:
                r.problems.append(f"plan line after {len(r.tests)} results: {text!r}")
            r.plan = int(m.group(1))
            continue
        m = _KTAP_RESULT_RE.match(text)
        if m:
            number = int(m.group(2))
            if number != expect:
                r.problems.append(f"result number {number} where {expect} was expected: {text!r}")
            expect = number + 1
            r.tests.append(KtapTest(m.group(1) == "ok", number, (m.group(3) or "").strip(),
                                    m.group(4) or None, pending))
            pending = []
            continue
        if text.startswith("#"):
            m = _CADRE_SUMMARY_RE.match(text)
            if m:
                r.summary = (int(m.group(1)), int(m.group(2)))
            pending.append(text[1:].strip())
    r.trailing = pending
    if not started:
        r.problems.append("no 'KTAP version' line")
        return r
    if r.plan is None:
        r.problems.append("no plan line (1..N)")
    elif len(r.tests) != r.plan:
        r.problems.append(f"{len(r.tests)} results for a plan of {r.plan}")
    if r.summary is not None:
        run, failed = r.summary
        if run != len(r.tests) or failed != len(r.failed):
            r.problems.append(f"summary says {run} run, {failed} failed; the results say "
                              f"{len(r.tests)} run, {len(r.failed)} failed")
    return r


def cpu_table(b) -> list[tuple[int, int, str]]:
    """The boot's CPU table (src/smp/smp.c) as (cpu, apic, state) per CPU, from any result with
    findall(): a row is one CPU (`smp:  3  4  online`) or a run of CPUs with consecutive APIC
    IDs and the same state (`smp:  1-2  1-2  online`)."""
    rows = []
    for m in b.findall(r"^smp: +(\d+)(?:-(\d+))? +(\d+)(?:-(\d+))?  (\S.*)$"):
        c0, c1 = int(m.group(1)), int(m.group(2) or m.group(1))
        a0, a1 = int(m.group(3)), int(m.group(4) or m.group(3))
        if c1 - c0 != a1 - a0:
            raise AssertionError(f"a CPU table row whose two ranges differ in length: {m.group(0)}")
        rows += [(c0 + i, a0 + i, m.group(5)) for i in range(c1 - c0 + 1)]
    return rows


# --------------------------------------------------------------------------------------------
# A boot's result


@dataclasses.dataclass(repr=False)
class Boot:
    log: str = ""                     # the serial log, '\r' removed
    rc: int | None = None             # QEMU's status; None if the harness stopped QEMU
    timed_out: bool = False
    cmd: list[str] = dataclasses.field(default_factory=list)
    log_path: str = ""                # the saved serial log (raw bytes, as QEMU wrote them)
    name: str = "boot"
    cmdline: str = ""                 # what went through fw_cfg
    elapsed: float = 0.0              # seconds from QEMU's start to its end (or to our stop)
    stderr: str = ""                  # QEMU's stdout and stderr
    debugcon: str = ""                # what the guest wrote to port 0xE9, '\r' removed
    until_match: re.Match | None = None  # the `until` match, if it matched
    # (seconds since QEMU was started, text) for each kernel line, when the harness first saw
    # it (it looks every POLL_INTERVAL): wall-clock figures for benchmarks
    seen_at: list = dataclasses.field(default_factory=list)
    errors: list[str] = dataclasses.field(default_factory=list)  # harness trouble (callbacks, QMP)

    # -- lines

    def kernel_lines(self) -> list[tuple[float, int, str]]:
        """(seconds, cpu, text) for every well-formed kernel line of the serial log."""
        out = []
        for line in self.log.split("\n"):
            m = LINE_RE.match(line)
            if m:
                out.append((int(m.group(1)) + int(m.group(2)) / 1e6, int(m.group(3)), m.group(4)))
        return out

    def texts(self) -> list[str]:
        return [t for _, _, t in self.kernel_lines()]

    def find(self, regex: str | re.Pattern) -> re.Match | None:
        rx = re.compile(regex)
        for t in self.texts():
            m = rx.search(t)
            if m:
                return m
        return None

    def findall(self, regex: str | re.Pattern) -> list[re.Match]:
        rx = re.compile(regex)
        return [m for m in (rx.search(t) for t in self.texts()) if m]

    def index(self, regex: str | re.Pattern) -> int | None:
        """Position in texts() of the first line matching regex, or None."""
        rx = re.compile(regex)
        for i, t in enumerate(self.texts()):
            if rx.search(t):
                return i
        return None

    def malformed_lines(self) -> list[str]:
        """Lines from the first kernel line on that lack the `[SSSSS.UUUUUU] cpuN: ` prefix.
        (Before the first kernel line is GRUB's output.)  A last line without its newline is
        left out when the harness stopped QEMU, which may have cut it."""
        lines = self.log.split("\n")
        first = next((i for i, l in enumerate(lines) if LINE_RE.match(l)), None)
        if first is None:
            return []
        rest = lines[first:]
        if rest and (rest[-1] == "" or self.rc is None):
            rest = rest[:-1]
        return [l for l in rest if not LINE_RE.match(l)]

    # -- structured views

    def ktap(self) -> KtapResult:
        return parse_ktap(self.texts())

    def panic_report(self) -> list[str] | None:
        """Texts from the first "PANIC: cpuN:" line to the "end of report" line (inclusive);
        to the end of the log if the report never ended; None if there was no panic."""
        texts = self.texts()
        start = next((i for i, t in enumerate(texts) if _PANIC_START_RE.match(t)), None)
        if start is None:
            return None
        for j in range(start, len(texts)):
            if _PANIC_END_RE.match(texts[j]):
                return texts[start:j + 1]
        return texts[start:]

    # -- for people

    def status(self) -> str:
        if self.rc is None:
            if self.errors:
                return "stopped by the harness: " + self.errors[-1]
            if self.timed_out:
                return "timed out; the harness stopped QEMU"
            if self.until_match is not None:
                return "stopped by the harness after `until` matched"
            return "stopped by the harness"
        return f"rc {self.rc} ({EXIT_NAMES.get(self.rc, 'unexpected status')})"

    def summary(self) -> str:
        """One paragraph for assertion messages."""
        lines = self.kernel_lines()
        last = lines[-1][2] if lines else "(no kernel line)"
        return (f"boot {self.name!r}: {self.status()} after {self.elapsed:.1f} s, "
                f"{len(lines)} kernel lines, last: {last!r}; log {self.log_path}")

    def describe(self, tail: int = 300) -> str:
        """Command, status and the last `tail` lines of the serial log."""
        log_lines = self.log.split("\n")
        if log_lines and log_lines[-1] == "":
            log_lines.pop()
        shown = log_lines[-tail:]
        out = [
            "command: " + " ".join(_shell_quote(a) for a in self.cmd),
            f"fw_cfg cmdline: {self.cmdline!r}",
            f"status: {self.status()}, {self.elapsed:.2f} s",
            f"serial log: {self.log_path} ({len(log_lines)} lines)",
        ]
        if self.errors:
            out += ["harness errors:"] + ["  " + e for e in self.errors]
        if self.stderr.strip():
            out += ["QEMU stderr:"] + ["  " + l for l in self.stderr.rstrip().split("\n")[-20:]]
        out.append(f"--- serial log, last {len(shown)} of {len(log_lines)} lines ---"
                   if len(shown) < len(log_lines) else "--- serial log ---")
        out += [_printable(l) for l in shown]
        return "\n".join(out)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:  # short: pytest prints it in every failed assertion about a Boot
        return f"<Boot {self.name!r} {self.status()}, log {self.log_path}>"


def _shell_quote(s: str) -> str:
    return s if re.fullmatch(r"[\w@%+=:,./-]+", s) else "'" + s.replace("'", "'\\''") + "'"


def _printable(line: str) -> str:
    # GRUB's escape codes would move the cursor of whoever reads the report.
    return "".join(c if c.isprintable() or c == "\t" else f"\\x{ord(c):02x}" for c in line)


# --------------------------------------------------------------------------------------------
# QMP


class QmpError(RuntimeError):
    pass


class Qmp:
    """A minimal QMP client on QEMU's unix socket.  cmd() returns the command's "return"
    value and raises QmpError on an "error" reply; events arriving meanwhile are kept in
    .events."""

    def __init__(self, path: str, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.settimeout(timeout)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        self.file = self.sock.makefile("rwb", buffering=0)
        self.events: list[dict] = []
        self.greeting = self._read()
        if "QMP" not in self.greeting:
            raise QmpError(f"no QMP greeting: {self.greeting}")
        self.cmd("qmp_capabilities")

    def _read(self) -> dict:
        line = self.file.readline()
        if not line:
            raise QmpError("QMP connection closed")
        return json.loads(line)

    def cmd(self, name: str, **args) -> dict:
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.file.write(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self._read()
            if "event" in reply:
                self.events.append(reply)
                continue
            if "error" in reply:
                raise QmpError(f"{name}: {reply['error'].get('class')}: {reply['error'].get('desc')}")
            return reply.get("return", {})

    def hmp(self, command_line: str) -> str:
        return self.cmd("human-monitor-command", **{"command-line": command_line})

    def close(self) -> None:
        try:
            self.file.close()
            self.sock.close()
        except OSError:
            pass


# --------------------------------------------------------------------------------------------
# Booting


def _reserve_log(name: str) -> str:
    d = log_dir()
    os.makedirs(d, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_")[:120] or "boot"
    n = 1
    while True:
        path = os.path.join(d, f"{safe}-{n}.log")
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            return path
        except FileExistsError:
            n += 1


def _opt(path: str) -> str:
    """A path inside a QEMU -opt,key=value list: commas are doubled."""
    return path.replace(",", ",,")


def qemu_command(iso: str, tmp: str, cmdline_file: str | None, smp: int | str,
                 machine: str, cpu: str | None, mem: str, accel: str,
                 extra_args: Sequence[str] = (), firmware: str = "bios", serial: str = "socket") -> list[str]:
    if firmware not in FIRMWARES:
        raise ValueError(f"firmware={firmware!r}: expected one of {FIRMWARES}")
    cmd = [QEMU, "-M", machine, "-m", str(mem), "-smp", str(smp)]
    if firmware == "uefi":
        if not os.path.isfile(OVMF_FD):
            raise FileNotFoundError(f"OVMF not found at {OVMF_FD}: install Debian's ovmf package "
                                    "(tools/deps.sh test) or set CADRE_OVMF")
        cmd += ["-bios", OVMF_FD]
    # QEMU refuses -accel together with -M ...,accel=: the machine string wins then.
    if not re.search(r"(^|,)accel=", machine):
        cmd += ["-accel", accel]
    if accel == "kvm":
        cmd += ["-cpu", cpu or KVM_CPU]
    elif cpu:
        cmd += ["-cpu", cpu]
    cmd += [
        "-display", "none", "-no-reboot", "-monitor", "none",
    ]
    if serial == "file":
        cmd += ["-serial", f"file:{os.path.join(tmp, 'serial.out')}"]
    else:
        cmd += ["-chardev", f"socket,id=ser0,path={_opt(os.path.join(tmp, 'serial.sock'))},server=off",
                "-serial", "chardev:ser0"]
    cmd += [
        "-debugcon", f"file:{os.path.join(tmp, 'debugcon.log')}",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-qmp", f"unix:{_opt(os.path.join(tmp, 'qmp.sock'))},server=on,wait=off",
        "-cdrom", iso, "-boot", "d",
    ]
    if cmdline_file:
        cmd += ["-fw_cfg", f"name=opt/cadre/cmdline,file={_opt(cmdline_file)}"]
    return cmd + list(extra_args)


def boot(cmdline: str = "", smp: int | str = 1, machine: str = "pc", cpu: str | None = None,
         mem: str = "128M", accel: str = "tcg", timeout: float | None = None,
         until: str | re.Pattern | None = None, extra_args: Sequence[str] = (),
         name: str = "boot", firmware: str = "bios",
         on_match: Sequence[tuple[str | re.Pattern, Callable[[Qmp], object]]] = (),
         serial_input: Sequence[tuple[str | re.Pattern, bytes | Callable[[str, Callable[[bytes], None]], bool]]]
         | None = None,
         serial_in_order: bool = False, serial: str = "socket") -> Boot:
    """Boots the ISO once and returns what happened.

    cmdline: appended to GRUB's through fw_cfg.  smp: an int or an -smp string.  until: stop
    QEMU once a kernel line matches (rc None).  on_match: (regex, callback(qmp)) pairs, each
    called once, when its regex first matches a kernel line, with a connected Qmp.
    serial_input: (regex, bytes) pairs: the bytes go to COM1 when the regex first matches.  In
    place of the bytes, a callback(line, send) for each matching line, which may call send(bytes)
    and returns True once it is done (a command repeated until its answer says what the test
    waits for, with no time in the test).
    serial_in_order: each pair's regex is looked for only in the lines after the previous pair
    fired (a script of commands, each sent once the answer to the last one came; without it a
    boot line that happens to match would send a command early).  firmware: "bios" (SeaBIOS)
    or "uefi" (OVMF).  For each new line the order is: serial_input, on_match, until.  Never raises because of
    what the guest did; if a callback raises, QEMU is stopped, the exception gets a `.boot`
    attribute (the Boot so far) and is re-raised.  serial="file": COM1 goes to a file that the
    harness follows instead of the socket, for timings (no serial_input then; see the module
    docstring)."""
    if serial not in ("socket", "file"):
        raise ValueError(f"serial={serial!r}: expected 'socket' or 'file'")
    if serial == "file" and serial_input:
        raise ValueError("serial_input needs serial='socket'")
    iso = iso_path()
    if not os.path.isfile(iso):
        raise FileNotFoundError(f"cadre ISO not found at {iso}: run `make iso` (or set CADRE_ISO)")
    if timeout is None:
        timeout = default_timeout(smp, accel, firmware)
    until_rx = re.compile(until) if until is not None else None
    matchers = [[re.compile(rx), cb, False] for rx, cb in on_match]
    inputs = [[re.compile(rx), data, False] for rx, data in (serial_input or ())]

    tmp = tempfile.mkdtemp(prefix="cadre-qemu-")
    log_path = _reserve_log(name)
    cmdline_file = None
    if cmdline:
        cmdline_file = os.path.join(tmp, "cmdline")
        with open(cmdline_file, "w") as f:
            f.write(cmdline)
    cmd = qemu_command(iso, tmp, cmdline_file, smp, machine, cpu, mem, accel, extra_args, firmware, serial)
    b = Boot(cmd=cmd, log_path=log_path, name=name, cmdline=cmdline)

    err_path = os.path.join(tmp, "qemu.stderr")
    listener = None
    if serial == "socket":
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(os.path.join(tmp, "serial.sock"))
        listener.listen(1)
    qmp: Qmp | None = None
    pending_exc: BaseException | None = None
    t0 = time.monotonic()
    with open(err_path, "wb") as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=subprocess.STDOUT)
        reader: _SerialReader | _FileReader
        if listener is not None:
            reader = _SerialReader(listener, log_path, proc)
        else:
            reader = _FileReader(os.path.join(tmp, "serial.out"), log_path, proc)
        reader.start()
        try:
            line_start = 0  # offset of the first byte not yet seen as part of a line
            next_stderr_check = 0.0
            stop = False
            while True:
                exited = proc.poll() is not None
                if exited:
                    # QEMU is gone: the rest is in the socket (then EOF) or the file
                    reader.join(timeout=5 if listener is not None else 60)
                raw = reader.snapshot()
                # Complete lines only: the kernel ends every line with CRLF.
                while not stop:
                    nl = raw.find(b"\n", line_start)
                    if nl < 0:
                        break
                    line = raw[line_start:nl].decode("utf-8", "replace").replace("\r", "")
                    line_start = nl + 1
                    m = LINE_RE.match(line)
                    if not m:
                        continue
                    text = m.group(4)
                    b.seen_at.append((time.monotonic() - t0, text))
                    if not exited:  # nobody to talk to once QEMU has gone
                        for k, item in enumerate(inputs):
                            if serial_in_order and k and not inputs[k - 1][2]:
                                break
                            if not item[2] and item[0].search(text):
                                def send(data: bytes, rx=item[0].pattern) -> None:
                                    err_msg = reader.send(data)
                                    if err_msg:
                                        b.errors.append(f"serial input for /{rx}/: {err_msg}")
                                if callable(item[1]):
                                    item[2] = bool(item[1](text, send))
                                else:
                                    item[2] = True
                                    send(item[1])
                                if serial_in_order and item[2]:
                                    break  # the next one looks from the next line on
                        for item in matchers:
                            if not item[2] and item[0].search(text):
                                item[2] = True
                                if qmp is None:
                                    qmp = Qmp(os.path.join(tmp, "qmp.sock"))
                                item[1](qmp)
                    if until_rx is not None and b.until_match is None:
                        b.until_match = until_rx.search(text)
                        if b.until_match and not exited:
                            stop = True
                if exited:
                    b.rc = proc.returncode
                    break
                if stop:
                    break
                if time.monotonic() - t0 > timeout:
                    b.timed_out = True
                    break
                if time.monotonic() >= next_stderr_check:
                    next_stderr_check = time.monotonic() + 0.25
                    m = QEMU_STUCK_RE.search(_read_text(err_path))
                    if m:
                        b.errors.append(f"QEMU reported '{m.group(0)}' and stopped the VM; "
                                        "see QEMU's stderr")
                        break
                time.sleep(POLL_INTERVAL)
        except BaseException as e:  # a callback, QMP, or ^C: stop QEMU, keep the log, re-raise
            pending_exc = e
            b.errors.append(f"{type(e).__name__}: {e}")
        finally:
            b.elapsed = time.monotonic() - t0
            if proc.poll() is None:
                _stop(proc)
            if qmp is not None:
                qmp.close()
            # Reading what is left of a local file cannot hang: wait for it even on a loaded host.
            reader.join(timeout=5 if listener is not None else 60)
            reader.close()
            if listener is not None:
                listener.close()
    b.log = reader.snapshot().decode("utf-8", "replace").replace("\r", "")
    if not reader.connected and not b.errors:
        b.errors.append("QEMU never connected to the serial socket (see its stderr)")
    b.stderr = _read_text(err_path)
    b.debugcon = _read_text(os.path.join(tmp, "debugcon.log")).replace("\r", "")
    shutil.rmtree(tmp, ignore_errors=True)
    if pending_exc is not None:
        try:
            pending_exc.boot = b  # type: ignore[attr-defined]
            pending_exc.add_note(b.summary())
        except (AttributeError, TypeError):
            pass
        raise pending_exc
    return b


class _FileReader(threading.Thread):
    """serial="file": follows the file QEMU writes COM1 to, copying it into the log file and
    into memory like _SerialReader, until QEMU has exited and the file has no more."""

    POLL = 0.005

    def __init__(self, path: str, log_path: str, proc: subprocess.Popen):
        super().__init__(daemon=True, name="cadre-serial-file")
        self.path, self.log_path, self.proc = path, log_path, proc
        self.connected = False
        self._data = bytearray()
        self._lock = threading.Lock()
        self._closed = False

    def run(self) -> None:
        while not os.path.exists(self.path):
            if self.proc.poll() is not None or self._closed:
                return
            time.sleep(self.POLL)
        self.connected = True
        with open(self.path, "rb") as src, open(self.log_path, "wb", buffering=0) as log:
            while True:
                done = self.proc.poll() is not None or self._closed
                chunk = src.read(65536)
                if chunk:
                    log.write(chunk)
                    with self._lock:
                        self._data += chunk
                    continue
                if done:
                    return
                time.sleep(self.POLL)

    def snapshot(self) -> bytes:
        with self._lock:
            return bytes(self._data)

    def send(self, data: bytes) -> str | None:
        return "serial='file' boots take no serial input"

    def close(self) -> None:
        self._closed = True


class _SerialReader(threading.Thread):
    """Accepts QEMU's connection to the serial socket and copies everything it sends into the
    log file (unbuffered) and into memory, until EOF (QEMU exited or was stopped)."""

    def __init__(self, listener: socket.socket, log_path: str, proc: subprocess.Popen):
        super().__init__(daemon=True, name="cadre-serial")
        self.listener, self.log_path, self.proc = listener, log_path, proc
        self.conn: socket.socket | None = None
        self.connected = False
        self._data = bytearray()
        self._lock = threading.Lock()

    def run(self) -> None:
        self.listener.settimeout(0.05)
        while self.conn is None:
            try:
                self.conn, _ = self.listener.accept()
            except socket.timeout:
                if self.proc.poll() is not None:
                    return  # QEMU ended before connecting (bad arguments, ...)
            except OSError:
                return
        self.connected = True
        self.conn.settimeout(None)
        with open(self.log_path, "wb", buffering=0) as log:
            while True:
                try:
                    chunk = self.conn.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                log.write(chunk)
                with self._lock:
                    self._data += chunk

    def snapshot(self) -> bytes:
        with self._lock:
            return bytes(self._data)

    def send(self, data: bytes) -> str | None:
        """Sends data to the guest's COM1; returns what went wrong, or None."""
        if self.conn is None:
            return "QEMU is not connected to the serial socket"
        try:
            self.conn.sendall(data)
        except OSError as e:
            return str(e)
        return None

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _read_text(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""
