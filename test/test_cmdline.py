"""The kernel command line: GRUB's (grub.cfg: `panic=exit`) with fw_cfg's opt/cadre/cmdline
appended; bad options are warned about and skipped, and the boot goes on."""

import re

import pytest

import qemu

READY = r"^cadre: ready: \d+ cpus online$"


def test_cmdline_from_grub_only(vm):
    b = vm(until=READY)
    assert b.until_match, b.summary()
    assert b.find(r'^cmdline: "(.*)"$').group(1) == "panic=exit"
    assert not b.find(r"^cmdline: from fw_cfg"), "fw_cfg line without an fw_cfg file"
    assert not b.find(r"warning"), b.summary()


def test_cmdline_from_grub_and_fw_cfg(vm):
    b = vm(cmdline="poweroff")
    grub = b.index(r'^cmdline: "panic=exit"$')
    fwcfg = b.index(r'^cmdline: from fw_cfg opt/cadre/cmdline: "poweroff"$')
    assert grub is not None and fwcfg is not None and grub < fwcfg, b.summary()
    assert not b.find(r"warning"), b.summary()
    # ... and the fw_cfg option took effect:
    assert b.find(r"^cadre: powering off$") and b.rc in (qemu.EXIT_POWEROFF, 0), b.summary()


@pytest.mark.parametrize("bad,warning", [
    ("foo", r"^cmdline: warning: unknown option 'foo' \(ignored\)$"),
    ("foo=bar", r"^cmdline: warning: unknown option 'foo=bar' \(ignored\)$"),
    ("test=", r"^cmdline: warning: option 'test=': .+ \(ignored\)$"),
    ('a="b', r"^cmdline: warning: malformed option 'a': unterminated quote \(ignored\)$"),
], ids=["unknown", "unknown-with-value", "empty-value", "unterminated-quote"])
def test_bad_option_is_ignored(vm, bad, warning):
    # The bad option comes last (an unterminated quote swallows the rest of the line), after
    # an option that must still work.
    b = vm(cmdline=f"poweroff {bad}")
    assert b.find(r'^cmdline: from fw_cfg opt/cadre/cmdline: "(.*)"$').group(1) == f"poweroff {bad}"
    warnings = b.findall(r"warning")
    assert len(warnings) == 1, b.summary()
    assert re.search(warning, warnings[0].string), f"got {warnings[0].string!r}"
    assert b.index(warning) < b.index(READY), "warning after ready"
    assert b.find(r"^cadre: powering off$") and b.rc in (qemu.EXIT_POWEROFF, 0), b.summary()
    assert not b.find(r"^KTAP version"), "test= with no value must not start a test run"


def test_later_option_wins(vm):
    """fw_cfg's panic=halt overrides GRUB's panic=exit: the report ends with a halt, and QEMU
    keeps running (the harness stops it)."""
    b = vm(cmdline="test=fault:ud panic=halt", until=r"^PANIC: cpu\d+: end of report", timeout=20)
    assert not b.timed_out and b.rc is None, b.summary()
    assert b.until_match.string.endswith("halting (panic=halt)"), b.until_match.string
