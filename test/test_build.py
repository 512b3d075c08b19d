"""The build: reproducible, small, warning-free with gcc and clang.  Each build goes to a fresh
BUILD directory, so these tests never touch build/ (which the boot tests are using)."""

import os
import re
import subprocess

import qemu

# The hybrid ISO is 1.36 MiB (README.md, "The ISO", says what each part costs).
MAX_ISO_BYTES = 1536 * 1024
WARNING_RE = re.compile(r"\bwarning\b", re.IGNORECASE)  # gcc, clang, nasm, ld, make


def make_env() -> dict:
    # Under `make test` the parent make's MAKEFLAGS (jobserver file descriptors we do not
    # inherit) would make the child make warn; a clean environment builds as a person would.
    return {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}


def start_make(build_dir, *args) -> subprocess.Popen:
    return subprocess.Popen(["make", "-C", qemu.REPO, f"BUILD={build_dir}", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=make_env())


def finish(p: subprocess.Popen, what: str) -> str:
    out, _ = p.communicate(timeout=300)
    assert p.returncode == 0, f"{what} failed (rc {p.returncode}):\n{out}"
    warnings = [l for l in out.splitlines() if WARNING_RE.search(l)]
    assert warnings == [], f"{what} printed warnings:\n" + "\n".join(warnings)
    return out


def test_iso_reproducible_and_small(tmp_path):
    # One after the other (about 2 s each), not at once: the boot tests running beside this
    # one include in-kernel timer checks that suffer when the host's two cores are overbooked.
    a, b = tmp_path / "a", tmp_path / "second-build"
    finish(start_make(a, "iso"), f"make BUILD={a} iso")
    finish(start_make(b, "iso"), f"make BUILD={b} iso")
    iso_a, iso_b = (a / "cadre.iso").read_bytes(), (b / "cadre.iso").read_bytes()
    if iso_a != iso_b:
        diff = [i for i, (x, y) in enumerate(zip(iso_a, iso_b)) if x != y]
        raise AssertionError(f"the two ISOs differ: sizes {len(iso_a)} / {len(iso_b)}, "
                             f"{len(diff)} bytes differ, first at offset {diff[:1]}")
    assert len(iso_a) < MAX_ISO_BYTES, f"ISO is {len(iso_a)} bytes, over {MAX_ISO_BYTES}"
    # One ISO for both firmwares: an El Torito boot image for each platform.
    r = subprocess.run(["xorriso", "-indev", str(a / "cadre.iso"), "-report_el_torito", "plain"],
                       capture_output=True, text=True, timeout=60)
    platforms = re.findall(r"^El Torito boot img :\s+\d+\s+(\w+)\s+y", r.stdout, re.MULTILINE)
    assert sorted(platforms) == ["BIOS", "UEFI"], f"El Torito boot images: {platforms}\n{r.stdout}{r.stderr}"


def test_clang_build_warning_free_and_boots(tmp_path, monkeypatch, vm):
    """clang and ld.lld build the kernel without a warning, and that kernel passes the per-CPU
    tests (the %gs:40 canary among them) and catches a smashed canary, as the gcc one does."""
    out = finish(start_make(tmp_path / "clang", "iso", "CC=clang"), "make iso CC=clang")
    iso = tmp_path / "clang" / "cadre.iso"
    assert iso.is_file(), out
    monkeypatch.setenv("CADRE_ISO", str(iso))
    b = vm(cmdline="test=percpu_*,canary_at_gs40,trap_*,irq_stack_*,printf_formats,user_hello_every_cpu",
           smp=2, cpu="max")
    assert b.rc == qemu.EXIT_PASS and b.ktap().passed, b.summary()
    b = vm(cmdline="test=fault:canary")
    assert b.rc == qemu.EXIT_PANIC, b.summary()
    assert b.find(r"^PANIC: cpu0: stack protector: canary corrupted \(detected in fault_smash_canary"), b.summary()
