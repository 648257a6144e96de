"""PNG charts of progress (matplotlib, Agg backend), rendered in a worker thread so the event loop keeps serving."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SIZE = (7.0, 3.6)  # inches; at 100 dpi a 700 x 360 image, readable inline in every chat client
_DPI = 100
_BAR, _PASS, _LOW = "#4c72b0", "#c44e52", "#b8b8b8"


@dataclass(frozen=True)
class Bar:
    """One domain bar: its label, accuracy in percent (None before any answer) and answered count."""

    label: str
    percent: float | None
    answered: int


@dataclass(frozen=True)
class Point:
    """One week of progress: its Monday, accuracy in percent (None without answers) and answered count."""

    start: date
    percent: float | None
    answered: int


def domains_png(title: str, bars: Sequence[Bar], pass_percent: float) -> bytes:
    """Accuracy by domain against the pass line, as PNG bytes."""
    from matplotlib.figure import Figure  # imported here: a second or so, paid only by the first chart

    figure = Figure(figsize=_SIZE, dpi=_DPI)
    axes = figure.subplots()
    labels = [b.label for b in bars]
    heights = [b.percent or 0.0 for b in bars]
    colours = [_BAR if b.percent is not None else _LOW for b in bars]
    drawn = axes.bar(labels, heights, color=colours)
    for rect, bar in zip(drawn, bars, strict=True):
        text = f"{bar.percent:.0f}% ({bar.answered})" if bar.percent is not None else "no answers"
        axes.annotate(text, (rect.get_x() + rect.get_width() / 2, rect.get_height()), ha="center", va="bottom")
    axes.axhline(pass_percent, color=_PASS, linestyle="--", linewidth=1.5)
    axes.set_ylim(0, 105)
    axes.set_ylabel("accuracy %")
    axes.set_title(f"{title} (dashed: {pass_percent:.0f}% line)")
    figure.tight_layout()
    return _png(figure)


def progress_png(title: str, points: Sequence[Point], pass_percent: float) -> bytes:
    """Weekly accuracy (line) and answers (bars) over time, as PNG bytes."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=_SIZE, dpi=_DPI)
    answers_axes = figure.subplots()
    labels = [p.start.strftime("%d %b") for p in points]
    answers_axes.bar(labels, [p.answered for p in points], color=_LOW)
    answers_axes.set_ylabel("answers per week")
    accuracy_axes = answers_axes.twinx()
    shown = [(label, p.percent) for label, p in zip(labels, points, strict=True) if p.percent is not None]
    if shown:
        accuracy_axes.plot([s[0] for s in shown], [s[1] for s in shown], color=_BAR, marker="o")
    accuracy_axes.axhline(pass_percent, color=_PASS, linestyle="--", linewidth=1.5)
    accuracy_axes.set_ylim(0, 105)
    accuracy_axes.set_ylabel("accuracy %")
    answers_axes.set_title(f"{title} (dashed: {pass_percent:.0f}% line)")
    answers_axes.tick_params(axis="x", labelrotation=45)
    figure.tight_layout()
    return _png(figure)


async def render_domains(title: str, bars: Sequence[Bar], pass_percent: float) -> bytes:
    """`domains_png` off the event loop."""
    return await asyncio.to_thread(domains_png, title, list(bars), pass_percent)


async def render_progress(title: str, points: Sequence[Point], pass_percent: float) -> bytes:
    """`progress_png` off the event loop."""
    return await asyncio.to_thread(progress_png, title, list(points), pass_percent)


def _png(figure: Figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)  # attaches the Agg canvas: no GUI backend, safe in a worker thread
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
