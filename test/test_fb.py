"""The framebuffer console (issue 13, src/dev/fb.c): the screen shows the serial log's last lines,
panic reports included.

Each boot takes a screendump through QMP when a line appears, then the test renders the text the
screen should hold with the kernel's own font (read from src/dev/font8x16.c) and compares it with
the dump, pixel row by pixel row.  What the screen should hold follows from the serial bytes from
the `fb:` line on, laid out as fb_console_putc does (wrap at the last column, tab stops every 8
columns); the screen shows the last of those rows, after at most one scroll's worth of blank
rows (the text moves up a quarter of the screen at a time)."""

import os
import re
import tempfile

import pytest

import qemu

FONT_C = os.path.join(qemu.REPO, "src", "dev", "font8x16.c")
FONT_W, FONT_H = 8, 16
SCROLL_DIV = 4  # src/dev/fb.c: the text moves up rows / SCROLL_DIV rows at a time


def load_font() -> dict[int, list[int]]:
    """{code point: 16 row bytes} from the C table, whose entries read
    `[0x41 - FONT_FIRST] = { 0x00, ..., 0x00 }`, the 16 bytes over two lines."""
    text = open(FONT_C).read()
    glyphs = {}
    for m in re.finditer(r"\[0x([0-9a-f]{2}) - FONT_FIRST\] = \{([^}]*)\}", text):
        rows = [int(x, 16) for x in re.findall(r"0x([0-9a-f]{2})", m.group(2))]
        assert len(rows) == FONT_H, f"glyph 0x{m.group(1)} has {len(rows)} rows"
        glyphs[int(m.group(1), 16)] = rows
    assert sorted(glyphs) == list(range(0x20, 0x7F)), "the font should hold printable ASCII"
    return glyphs


FONT = load_font()


def read_ppm(path: str) -> tuple[int, int, bytes]:
    data = open(path, "rb").read()
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    assert m, "the screendump is not a binary PPM"
    w, h, maxval = (int(g) for g in m.groups())
    assert maxval == 255
    return w, h, data[m.end():m.end() + w * h * 3]


def lit_rows(w: int, h: int, rgb: bytes) -> list[list[bool]]:
    """Each pixel lit or not: the console draws one bright colour on black."""
    return [[sum(rgb[(y * w + x) * 3:(y * w + x) * 3 + 3]) > 384 for x in range(w)] for y in range(h)]


def text_rows(stream: str, cols: int) -> list[str]:
    """The rows fb_console_putc makes of `stream`, without scrolling."""
    rows, cur, col = [], [" "] * cols, 0

    def newline():
        nonlocal cur, col
        rows.append("".join(cur))
        cur, col = [" "] * cols, 0

    def put(ch):
        nonlocal col
        if col == cols:
            newline()
        cur[col] = ch
        col += 1

    for ch in stream:
        if ch == "\n":
            newline()
        elif ch == "\r":
            col = 0
        elif ch == "\b":
            col = max(col - 1, 0)
        elif ch == "\t":
            put(" ")
            while col % 8:
                put(" ")
        elif 0x20 <= ord(ch) <= 0x7E:
            put(ch)
    rows.append("".join(cur))  # the cursor's row
    return rows


def render_row(text: str) -> list[list[bool]]:
    return [[bool(FONT[ord(ch)][y] & (0x80 >> x)) for ch in text for x in range(FONT_W)]
            for y in range(FONT_H)]


def decode_row(pixels: list[list[bool]], cols: int) -> str:
    """The characters a row of cells shows ('?' where no glyph matches), for failure messages."""
    by_bits = {tuple(rows): chr(cp) for cp, rows in FONT.items()}
    out = []
    for c in range(cols):
        bits = tuple(sum(0x80 >> x for x in range(FONT_W) if pixels[y][c * FONT_W + x])
                     for y in range(FONT_H))
        out.append(by_bits.get(bits, "?"))
    return "".join(out)


def screen_check(b, shot: str, last_rx: str):
    """Asserts that the screendump shows the tail of the serial log up to the line matching
    last_rx (where the dump was taken)."""
    w, h, rgb = read_ppm(shot)
    cols, rows = w // FONT_W, h // FONT_H
    line = b.find(r"^fb: \d+x\d+x\d+ at 0x")
    assert line, f"no fb: line\n{b.summary()}"
    raw = b.log
    start = raw.rfind("\n", 0, raw.index(line.group(0))) + 1
    end_line = b.find(last_rx)
    assert end_line, f"no line matching {last_rx}"
    end = raw.index("\n", raw.index(end_line.group(0))) + 1
    expected = text_rows(raw[start:end], cols)
    expected_text = [r for r in expected[:-1]]  # the cursor's row is empty: the stream ends in \n
    assert expected[-1].strip() == ""
    pixels = lit_rows(w, h, rgb)
    cells = [pixels[r * FONT_H:(r + 1) * FONT_H] for r in range(rows)]
    shown = 0
    while shown < rows and any(any(p) for p in cells[shown]):
        shown += 1
    want = min(len(expected_text), rows)
    assert shown >= min(want, rows - rows // SCROLL_DIV), \
        f"the screen shows {shown} rows of text; expected at least {rows - rows // SCROLL_DIV}"
    for r in range(shown, rows):
        assert not any(any(p) for p in cells[r]), f"row {r} below the text is not blank"
    tail = expected_text[-shown:]
    for r in range(shown):
        if cells[r] != render_row(tail[r]):
            pytest.fail(f"screen row {r} differs from the log:\n  log:    {tail[r].rstrip()!r}\n"
                        f"  screen: {decode_row(cells[r], cols).rstrip()!r}")
    return shown, tail


def boot_and_shoot(vm, when: str, **kwargs):
    tmp = tempfile.mkdtemp(prefix="cadre-fb-")
    shot = os.path.join(tmp, "screen.ppm")
    b = vm(on_match=[(when, lambda q: q.cmd("screendump", filename=shot))], **kwargs)
    assert os.path.exists(shot), f"no screendump\n{b.summary()}"
    return b, shot


def test_fb_shows_the_log(vm):
    b, shot = boot_and_shoot(vm, r"^console: ready on COM1", smp=4, until=r"^console: ready on COM1")
    assert b.find(r"^fb: 1024x768x32 at 0x[0-9a-f]+, pitch 4096; 128x48 cells"), b.summary()
    shown, tail = screen_check(b, shot, r"^console: ready on COM1")
    assert "console: ready on COM1" in tail[-1]


def test_fb_24bpp_cirrus(vm):
    """Cirrus VGA: GRUB sets a 24-bit mode, three bytes a pixel."""
    b, shot = boot_and_shoot(vm, r"^console: ready on COM1", smp=2, until=r"^console: ready on COM1",
                             extra_args=["-vga", "cirrus"])
    assert b.find(r"^fb: 1024x768x24 at 0x[0-9a-f]+, pitch 3072;"), b.summary()
    screen_check(b, shot, r"^console: ready on COM1")


def test_fb_shows_a_panic_report(vm):
    """A fatal fault: the report reaches the screen through the panic path (which prints
    straight to the devices), up to its end line."""
    end = r"^PANIC: cpu\d+: end of report; halting"
    b, shot = boot_and_shoot(vm, end, cmdline="test=fault:ud panic=halt", smp=2, until=end)
    shown, tail = screen_check(b, shot, end)
    assert tail[-1].split("] ", 1)[1].startswith("cpu"), tail[-1]
    assert "end of report" in tail[-1]
    assert any("invalid opcode" in r.lower() or "#UD" in r for r in tail), tail


def test_fb_none_without_a_display(vm):
    b = vm(smp=1, extra_args=["-vga", "none"], until=r"^fb: ")
    # GRUB gives no tag, or (with all_video loaded) VGA's 640x480 planar mode: either way, none.
    assert b.find(r"^fb: none: (the loader gave no framebuffer tag|the loader gave 640x480x1 at 0xa0000 "
                  r"\(type 0\): indexed colour \(a palette\), which it does not draw on); "
                  r"the console is on serial only$"), \
        b.summary()
