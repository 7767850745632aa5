"""Inline SVG charts for the monthly page, drawn in Python (no script, no network).

Each chart shows the differences it is about: values are placed on the range of the data (never
bars from zero for composites that all lie between 85 and 100), many units as a strip of dots
with the named ones coloured, a few as a dumbbell of this month against last month, trends as
small multiples on a shared range. Every text passes through :func:`jiesu.report.words.esc`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from ..safe import clip, mask
from .words import esc

#: the colour of each class (and of the others); the page's legend uses the same
COLOURS = {"advanced": "#1a7f37", "rectification": "#cf222e", "improving": "#0969da",
           "governance": "#9a6700", "other": "#8c959f", "city": "#b7bec6", "line": "#24527a"}

Fmt = Callable[[float], str]
#: an axis label: (value, the step between ticks) -> text, precise enough to tell ticks apart
Tick = Callable[[float, float], str]


def decimals(step: float) -> int:
    """The decimals that tell ticks ``step`` apart (2.5 -> 1, 0.25 -> 2, 5 -> 0)."""
    for d in range(7):
        if abs(round(step, d) - step) <= 1e-9 * max(1.0, abs(step)):
            return d
    return 7


def plain_tick(value: float, step: float) -> str:
    return f"{value:,.{decimals(step)}f}"


def percent_tick(value: float, step: float) -> str:
    return f"{100 * value:.{decimals(100 * step)}f}%"


def _f(x: float) -> str:
    """A coordinate with one decimal (the page stays small)."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def nice_ticks(lo: float, hi: float, n: int = 5) -> tuple[list[float], float]:
    """About ``n`` round values between lo and hi (1, 2, 2.5 or 5 times a power of ten apart),
    and the step between them."""
    if hi <= lo:
        return [lo], 1.0
    raw = (hi - lo) / max(1, n - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(s * power for s in (1, 2, 2.5, 5, 10) if s * power >= raw)
    first = math.ceil(lo / step - 1e-9)
    out = []
    k = first
    while k * step <= hi + 1e-9 * step:
        out.append(round(k * step, 10))
        k += 1
    return out, step


def data_range(values: Sequence[float | None], pad: float = 0.06, floor: float | None = None,
               ceiling: float | None = None, minimum_span: float = 0.0) -> tuple[float, float]:
    """The range of the values that are there, padded on both sides (a flat series gets a span)."""
    present = [v for v in values if v is not None and math.isfinite(v)]
    if not present:
        return (0.0, 1.0)
    lo, hi = min(present), max(present)
    span = max(hi - lo, minimum_span, abs(hi) * 0.01, 1e-9)
    mid = (lo + hi) / 2
    lo, hi = min(lo, mid - span / 2), max(hi, mid + span / 2)
    lo, hi = lo - (hi - lo) * pad, hi + (hi - lo) * pad
    if floor is not None:
        lo = max(lo, floor)
    if ceiling is not None:
        hi = min(hi, ceiling)
    return lo, hi


def _svg(width: float, height: float, label: str, body: list[str], css_class: str = "chart") -> str:
    return (f'<svg class="{css_class}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_f(width)} {_f(height)}" '
            f'width="{_f(width)}" height="{_f(height)}" role="img" aria-label="{esc(label)}">'
            + "".join(body) + "</svg>")


def _axis(x0: float, x1: float, y: float, lo: float, hi: float, tick: Tick, ticks: int = 6) -> list[str]:
    """A horizontal axis at ``y`` from x0 to x1 for values lo..hi, with round ticks."""
    out = [f'<line class="axis" x1="{_f(x0)}" y1="{_f(y)}" x2="{_f(x1)}" y2="{_f(y)}"/>']
    values, step = nice_ticks(lo, hi, ticks)
    for t in values:
        x = x0 + (t - lo) / (hi - lo) * (x1 - x0)
        out.append(f'<line class="tick" x1="{_f(x)}" y1="{_f(y)}" x2="{_f(x)}" y2="{_f(y + 4)}"/>'
                   f'<text class="tl" x="{_f(x)}" y="{_f(y + 15)}" text-anchor="middle">{esc(tick(t, step))}</text>')
    return out


def strip_plot(points: Sequence[tuple[float, str, str]], *, fmt: Fmt, label: str, median_word: str,
               tick: Tick = plain_tick, width: float = 720, radius: float = 3.6,
               limits: tuple[float | None, float | None] = (None, None)) -> str:
    """Many units on one axis (the data's range): one dot each, stacked where they crowd (a
    beeswarm), coloured by class (``advanced``, ``rectification``, ``other``); the median marked.
    ``points`` are (value, title, class)."""
    left, right = 16, width - 16
    lo, hi = data_range([p[0] for p in points], pad=0.03, floor=limits[0], ceiling=limits[1])
    step = radius * 2 + 0.6

    def x_of(v: float) -> float:
        return left + (v - lo) / (hi - lo) * (right - left)

    placed: list[tuple[float, int]] = []
    slots: list[tuple[float, int, tuple[float, str, str]]] = []
    for p in sorted(points, key=lambda p: (p[0], p[1])):
        x = x_of(p[0])
        near = {s for px, s in placed if abs(px - x) < step}
        k = 0
        while k in near:
            k = -k if k > 0 else -k + 1  # 0, 1, -1, 2, -2, ...
        placed.append((x, k))
        slots.append((x, k, p))
    spread = max((abs(k) for _, k, _ in slots), default=0)
    mid = 14 + (spread + 1) * step
    height = mid * 2 + 24
    body = []
    values = sorted(p[0] for p in points)
    if values:
        n = len(values)
        med = values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2
        mx = x_of(med)
        body.append(f'<line class="median" x1="{_f(mx)}" y1="6" x2="{_f(mx)}" y2="{_f(mid * 2 - 6)}"/>'
                    f'<text class="tl" x="{_f(mx + 4)}" y="14">{esc(median_word)} {esc(fmt(med))}</text>')
    order = {"other": 0, "advanced": 1, "rectification": 1}
    for x, k, (v, title, cls) in sorted(slots, key=lambda s: order.get(s[2][2], 1)):
        body.append(f'<circle class="dot {cls}" cx="{_f(x)}" cy="{_f(mid + k * step)}" r="{_f(radius)}" '
                    f'fill="{COLOURS.get(cls, COLOURS["other"])}"><title>{esc(title)}</title></circle>')
    body += _axis(left, right, mid * 2 + 2, lo, hi, tick)
    return _svg(width, height, label, body)


def dumbbell(rows: Sequence[tuple[str, float | None, float | None, str, str]], *, fmt: Fmt, label: str,
             tick: Tick = plain_tick, width: float = 720, row_height: float = 18, name_width: float = 150,
             limits: tuple[float | None, float | None] = (None, None)) -> str:
    """A few units, one row each: last month (hollow) to this month (filled, coloured by class) on
    the data's range, the value at the right. ``rows`` are (name, value, previous, class, title)."""
    left, right = name_width + 8, width - 56
    lo, hi = data_range([v for r in rows for v in (r[1], r[2])], pad=0.04, floor=limits[0], ceiling=limits[1])
    longest = max(4, int(name_width // 11))  # characters that fit left of the axis
    body = []

    def x_of(v: float) -> float:
        return left + (v - lo) / (hi - lo) * (right - left)

    for i, (name, value, prev, cls, title) in enumerate(rows):
        y = 8 + i * row_height + row_height / 2
        body.append(f'<text class="name" x="{_f(name_width)}" y="{_f(y + 4)}" text-anchor="end">{esc(clip(mask(name), longest))}</text>'
                    f'<line class="grid" x1="{_f(left)}" y1="{_f(y)}" x2="{_f(right)}" y2="{_f(y)}"/>')
        if value is not None and prev is not None:
            body.append(f'<line class="link" x1="{_f(x_of(prev))}" y1="{_f(y)}" x2="{_f(x_of(value))}" y2="{_f(y)}"/>')
        if prev is not None:
            body.append(f'<circle class="prev" cx="{_f(x_of(prev))}" cy="{_f(y)}" r="4"/>')
        if value is not None:
            body.append(f'<circle class="dot {cls}" cx="{_f(x_of(value))}" cy="{_f(y)}" r="4.5" '
                        f'fill="{COLOURS.get(cls, COLOURS["other"])}"><title>{esc(title)}</title></circle>'
                        f'<text class="val" x="{_f(right + 8)}" y="{_f(y + 4)}">{esc(fmt(value))}</text>')
    height = 8 + len(rows) * row_height + 24
    body += _axis(left, right, height - 22, lo, hi, tick)
    return _svg(width, height, label, body)


def _path(points: Sequence[tuple[float, float] | None]) -> str:
    """An SVG path through the points, broken where a point is missing."""
    out, pen = [], False
    for p in points:
        if p is None:
            pen = False
            continue
        out.append(f"{'L' if pen else 'M'}{_f(p[0])} {_f(p[1])}")
        pen = True
    return "".join(out)


def line_chart(values: Sequence[float | None], months: Sequence[str], *, lo: float, hi: float, fmt: Fmt,
               label: str, title: str, tick: Tick = plain_tick, reference: Sequence[float | None] | None = None,
               width: float = 340, height: float = 150) -> str:
    """One measure over the months, on the range lo..hi (not from zero), the last value written;
    ``reference`` (e.g. the city) drawn grey behind. ``months`` are the axis labels to show
    (empty strings skip a label)."""
    left, right, top, bottom = 46, width - 54, 22, height - 22
    n = max(1, len(values) - 1)

    def pt(i: int, v: float | None) -> tuple[float, float] | None:
        if v is None:
            return None
        return (left + i / n * (right - left), bottom - (v - lo) / (hi - lo) * (bottom - top))

    body = [f'<text class="ct" x="{_f(left)}" y="13">{esc(title)}</text>']
    values_, step = nice_ticks(lo, hi, 4)
    for t in values_:
        y = bottom - (t - lo) / (hi - lo) * (bottom - top)
        body.append(f'<line class="grid" x1="{_f(left)}" y1="{_f(y)}" x2="{_f(right)}" y2="{_f(y)}"/>'
                    f'<text class="tl" x="{_f(left - 4)}" y="{_f(y + 3)}" text-anchor="end">{esc(tick(t, step))}</text>')
    for i, m in enumerate(months):
        if m:
            x = left + i / n * (right - left)
            body.append(f'<text class="tl" x="{_f(x)}" y="{_f(height - 6)}" text-anchor="middle">{esc(m)}</text>')
    if reference is not None:
        body.append(f'<path class="ref" d="{_path([pt(i, v) for i, v in enumerate(reference)])}"/>')
    points = [pt(i, v) for i, v in enumerate(values)]
    body.append(f'<path class="series" d="{_path(points)}"/>')
    for p, v in zip(points, values):
        if p is not None and v is not None:
            body.append(f'<circle class="pt" cx="{_f(p[0])}" cy="{_f(p[1])}" r="2.2"><title>{esc(fmt(v))}</title></circle>')
    last = next(((p, v) for p, v in zip(reversed(points), reversed(values)) if p is not None), None)
    if last is not None:
        (x, y), v = last
        body.append(f'<text class="val" x="{_f(x + 6)}" y="{_f(y + 4)}">{esc(fmt(v))}</text>')  # type: ignore[arg-type]
    return _svg(width, height, label, body)


def sparkline(values: Sequence[float | None], *, lo: float, hi: float, fmt: Fmt, label: str,
              reference: Sequence[float | None] | None = None, width: float = 150, height: float = 34) -> str:
    """A small line on lo..hi with the city behind it in grey and the last value at the right."""
    left, right, top, bottom = 2, width - 48, 4, height - 4
    n = max(1, len(values) - 1)

    def pt(i: int, v: float | None) -> tuple[float, float] | None:
        if v is None:
            return None
        return (left + i / n * (right - left), bottom - (min(max(v, lo), hi) - lo) / (hi - lo) * (bottom - top))

    body = [f'<line class="grid" x1="{_f(left)}" y1="{_f(bottom)}" x2="{_f(right)}" y2="{_f(bottom)}"/>']
    if reference is not None:
        body.append(f'<path class="ref" d="{_path([pt(i, v) for i, v in enumerate(reference)])}"/>')
    points = [pt(i, v) for i, v in enumerate(values)]
    body.append(f'<path class="series" d="{_path(points)}"/>')
    last = next(((p, v) for p, v in zip(reversed(points), reversed(values)) if p is not None), None)
    if last is not None:
        (x, y), v = last
        body.append(f'<circle class="pt" cx="{_f(x)}" cy="{_f(y)}" r="2"/>'
                    f'<text class="val" x="{_f(right + 5)}" y="{_f(height / 2 + 4)}">{esc(fmt(v))}</text>')  # type: ignore[arg-type]
    return _svg(width, height, label, body, "spark")


def _blue(t: float) -> str:
    """A light-to-dark blue for 0..1."""
    a, b = (239, 246, 252), (8, 48, 107)
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b))


def heat_map(rows: Sequence[str], columns: Sequence[str], cells: Sequence[Sequence[int]], *,
             compact: Callable[[int], str], full: Callable[[int], str], label: str, legend: str,
             cell_width: float = 30, cell_height: float = 20, name_width: float = 96,
             head_height: float = 92) -> str:
    """Rows x columns of counts: darker is more (square-root scale, so small cells still show),
    the count written in each cell, the full count and both names in its tooltip."""
    top = max((max(r, default=0) for r in cells), default=0)
    width = name_width + len(columns) * cell_width + 8
    height = head_height + len(rows) * cell_height + 28
    body = []
    for j, c in enumerate(columns):
        x = name_width + j * cell_width + cell_width / 2
        body.append(f'<text class="colname" transform="translate({_f(x + 3)} {_f(head_height - 6)}) rotate(-55)">'
                    f'{esc(c)}</text>')
    for i, (name, row) in enumerate(zip(rows, cells)):
        y = head_height + i * cell_height
        body.append(f'<text class="name" x="{_f(name_width - 6)}" y="{_f(y + cell_height / 2 + 4)}" '
                    f'text-anchor="end">{esc(name)}</text>')
        for j, v in enumerate(row):
            x = name_width + j * cell_width
            t = math.sqrt(v / top) if top else 0.0
            body.append(f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(cell_width - 1)}" height="{_f(cell_height - 1)}" '
                        f'fill="{_blue(t)}"><title>{esc(name)} · {esc(columns[j])}: {esc(full(v))}</title></rect>')
            if v:
                body.append(f'<text class="cell{" inv" if t > 0.55 else ""}" x="{_f(x + cell_width / 2)}" '
                            f'y="{_f(y + cell_height / 2 + 3)}" text-anchor="middle">{esc(compact(v))}</text>')
    y = head_height + len(rows) * cell_height + 8
    for k in range(6):
        body.append(f'<rect x="{_f(name_width + k * 16)}" y="{_f(y)}" width="16" height="10" fill="{_blue(k / 5)}"/>')
    body.append(f'<text class="tl" x="{_f(name_width + 6 * 16 + 6)}" y="{_f(y + 9)}">{esc(legend)}</text>')
    return _svg(width, height, label, body, "chart heat")


def change_bars(rows: Sequence[tuple[str, float, str]], *, fmt: Fmt, label: str, tick: Tick = percent_tick,
                width: float = 720, row_height: float = 18, name_width: float = 150) -> str:
    """Changes as bars from zero (for a change, zero is the meaningful baseline), one row each,
    the change written at the bar's end. ``rows`` are (name, change, title)."""
    left, right = name_width + 8, width - 64
    lo = min(0.0, *(r[1] for r in rows)) if rows else 0.0
    hi = max(0.0, *(r[1] for r in rows)) if rows else 1.0
    hi = hi if hi > lo else lo + 1.0
    hi += (hi - lo) * 0.04

    def x_of(v: float) -> float:
        return left + (v - lo) / (hi - lo) * (right - left)

    body = []
    for i, (name, value, title) in enumerate(rows):
        y = 8 + i * row_height
        x0, x1 = sorted((x_of(0.0), x_of(value)))
        body.append(f'<text class="name" x="{_f(name_width)}" y="{_f(y + row_height / 2 + 4)}" text-anchor="end">'
                    f'{esc(name)}</text><rect class="bar" x="{_f(x0)}" y="{_f(y + 3)}" width="{_f(max(x1 - x0, 0.8))}" '
                    f'height="{_f(row_height - 6)}" fill="{COLOURS["improving"]}"><title>{esc(title)}</title></rect>'
                    f'<text class="val" x="{_f(x1 + 5)}" y="{_f(y + row_height / 2 + 4)}">{esc(fmt(value))}</text>')
    height = 8 + len(rows) * row_height + 24
    body.append(f'<line class="axis" x1="{_f(x_of(0.0))}" y1="4" x2="{_f(x_of(0.0))}" y2="{_f(height - 22)}"/>')
    body += _axis(left, right, height - 22, lo, hi, tick)
    return _svg(width, height, label, body)
