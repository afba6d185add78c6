"""Generate the Teams app icons (color.png, outline.png) with a pure-Python PNG writer."""

from __future__ import annotations

import argparse
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

# Keep in sync with "accentColor" in manifest/template/manifest.json.
ACCENT = (0x1F, 0x5F, 0x8B)
WHITE = (0xFF, 0xFF, 0xFF)
COLOR_SIZE = 192
OUTLINE_SIZE = 32
SUPERSAMPLE = 4
DEFAULT_OUT_DIR = Path(__file__).resolve().parent.parent / "manifest" / "template"

Point = tuple[float, float]

# Shapes are described in unit coordinates (0..1, y pointing down) so that both icon
# sizes share the same geometry; each icon passes its own margin.
BUBBLE_TOP = 0.0
BUBBLE_BOTTOM = 0.76
BUBBLE_RADIUS = 0.2
TAIL = ((0.2, 0.7), (0.46, 0.7), (0.16, 1.0))
CHECK = ((0.27, 0.4), (0.43, 0.56), (0.73, 0.24))
CHECK_WIDTH = 0.12


def _in_rounded_rect(x: float, y: float, top: float, bottom: float, radius: float) -> bool:
    """Return whether (x, y) lies in the rounded rectangle spanning x 0..1 and y top..bottom."""
    if not (0.0 <= x <= 1.0 and top <= y <= bottom):
        return False
    cx = min(max(x, radius), 1.0 - radius)
    cy = min(max(y, top + radius), bottom - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius**2


def _in_triangle(x: float, y: float, a: Point, b: Point, c: Point) -> bool:
    """Return whether (x, y) lies in the triangle abc."""

    def side(p: Point, q: Point) -> float:
        return (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0])

    d1, d2, d3 = side(a, b), side(b, c), side(c, a)
    has_neg = d1 < 0 or d2 < 0 or d3 < 0
    has_pos = d1 > 0 or d2 > 0 or d3 > 0
    return not (has_neg and has_pos)


def _segment_distance(x: float, y: float, a: Point, b: Point) -> float:
    """Return the distance from (x, y) to the segment ab."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    t = ((x - a[0]) * dx + (y - a[1]) * dy) / (dx * dx + dy * dy)
    t = min(max(t, 0.0), 1.0)
    return float(((x - a[0] - t * dx) ** 2 + (y - a[1] - t * dy) ** 2) ** 0.5)


def in_bubble(x: float, y: float) -> bool:
    """Return whether a unit-space point lies in the speech bubble (body plus tail)."""
    return _in_rounded_rect(x, y, BUBBLE_TOP, BUBBLE_BOTTOM, BUBBLE_RADIUS) or _in_triangle(
        x, y, *TAIL
    )


def in_check(x: float, y: float) -> bool:
    """Return whether a unit-space point lies on the check mark stroke."""
    half = CHECK_WIDTH / 2
    return (
        _segment_distance(x, y, CHECK[0], CHECK[1]) <= half
        or _segment_distance(x, y, CHECK[1], CHECK[2]) <= half
    )


def coverage(
    size: int, margin: float, inside: Callable[[float, float], bool]
) -> list[list[float]]:
    """Return per-pixel coverage (0..1) of a unit-space shape drawn inside a margin."""
    span = size - 2 * margin
    # The unit square maps onto the pixel square inside the margin on every side.
    step = 1.0 / SUPERSAMPLE
    rows: list[list[float]] = []
    for py in range(size):
        row: list[float] = []
        for px in range(size):
            hits = 0
            for sy in range(SUPERSAMPLE):
                uy = (py + (sy + 0.5) * step - margin) / span
                for sx in range(SUPERSAMPLE):
                    ux = (px + (sx + 0.5) * step - margin) / span
                    if inside(ux, uy):
                        hits += 1
            row.append(hits / (SUPERSAMPLE * SUPERSAMPLE))
        rows.append(row)
    return rows


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    """Blend colour a towards colour b by t (0..1)."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def encode_png(width: int, height: int, rows: list[bytes], *, alpha: bool) -> bytes:
    """Encode 8-bit RGB or RGBA scanlines as a PNG file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    colour_type = 6 if alpha else 2
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def make_color() -> bytes:
    """Return the 192x192 opaque colour icon: a white bubble with an accent check on accent."""
    size = COLOR_SIZE
    margin = size * 0.2
    bubble = coverage(size, margin, in_bubble)
    check = coverage(size, margin, in_check)
    rows: list[bytes] = []
    for y in range(size):
        row = bytearray()
        for x in range(size):
            pixel = _mix(ACCENT, WHITE, bubble[y][x])
            pixel = _mix(pixel, ACCENT, check[y][x])
            row.extend(pixel)
        rows.append(bytes(row))
    return encode_png(size, size, rows, alpha=False)


def make_outline() -> bytes:
    """Return the 32x32 outline icon: a white bubble with a transparent check cut out."""
    size = OUTLINE_SIZE
    margin = 1.0
    bubble = coverage(size, margin, in_bubble)
    check = coverage(size, margin, in_check)
    rows: list[bytes] = []
    for y in range(size):
        row = bytearray()
        for x in range(size):
            opacity = max(0.0, bubble[y][x] - check[y][x])
            # Teams wants only white and transparency: every pixel is white, alpha varies.
            row.extend((*WHITE, round(opacity * 255)))
        rows.append(bytes(row))
    return encode_png(size, size, rows, alpha=True)


def write_icons(out_dir: Path) -> list[Path]:
    """Write color.png and outline.png into out_dir and return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in (("color.png", make_color()), ("outline.png", make_outline())):
        path = out_dir / name
        path.write_bytes(data)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    args = parser.parse_args(argv)
    for path in write_icons(args.out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
