"""The report as a PNG bar chart (matplotlib, Agg backend, no pyplot global state).

Labels are Vietnamese: DejaVu Sans, which ships with matplotlib, has every Vietnamese letter,
so the chart looks the same on any server whatever fonts it has installed.
"""

from __future__ import annotations

import io
import math
import threading
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from bot import i18n
from bot.i18n import _, ngettext
from handlers.reports.model import CHAT_MEASURES, Line, WeeklyReport
from handlers.reports.render import short_name, week_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WIDTH_PX, HEIGHT_PX, DPI = 1000, 800, 100
FONT_FAMILY = "DejaVu Sans"
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#d62728")  # one per chat measure
MAX_WEEK_LABELS = 13

# matplotlib's rcParams are process-wide; charts are drawn one at a time (in worker threads).
_LOCK = threading.Lock()


def font_path() -> Path:
    """The font file the chart's text is drawn with."""
    from matplotlib import font_manager

    return Path(font_manager.findfont(FONT_FAMILY, fallback_to_default=False))


def _nfc(text: str) -> str:
    # Decomposed accents (typed on some keyboards) would be drawn as separate marks.
    return unicodedata.normalize("NFC", text)


def _bars(
    axes: Axes, centres: list[float], values: list[int], thickness: float, colour: str, *, across: bool
) -> None:
    """One collection per series: hundreds of separate bar patches would take most of the time."""
    from matplotlib.collections import PolyCollection

    half = thickness / 2
    shapes = []
    for centre, value in zip(centres, values, strict=True):
        if value:
            lo, hi = centre - half, centre + half
            corners = (
                [(0, lo), (value, lo), (value, hi), (0, hi)]
                if across
                else [(lo, 0), (lo, value), (hi, value), (hi, 0)]
            )
            shapes.append(corners)
    axes.add_collection(PolyCollection(shapes, facecolors=colour, edgecolors="none"), autolim=False)


def render_png(report: WeeklyReport) -> bytes:
    """A WIDTH_PX x HEIGHT_PX PNG: bars per week, and per area one level down when there are any."""
    import matplotlib

    parts = [p for p in report.parts if p.area is not None or not p.series.is_zero()]
    with _LOCK, matplotlib.rc_context({"font.family": FONT_FAMILY, "font.size": 10}):
        canvas = _CANVASES.get(bool(parts))
        if canvas is None:
            canvas = _CANVASES[bool(parts)] = _Canvas(with_parts=bool(parts))
        return canvas.draw(report, parts)


class _Canvas:
    """A prepared figure, reused for every chart of the same layout (with or without the areas
    panel): building the axes, ticks and legend costs about as much as drawing them. Only the
    bars, labels and titles change between charts; drawing is serialised by ``_LOCK``."""

    def __init__(self, with_parts: bool) -> None:
        # Imported here: matplotlib takes a noticeable time to load, and only reports need it.
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch
        from matplotlib.ticker import FuncFormatter, MaxNLocator

        numbers = FuncFormatter(
            lambda value, _pos: i18n.fmt_number(int(value)) if value == int(value) else ""
        )
        figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
        FigureCanvasAgg(figure)
        # Fixed positions (left, bottom, width, height): a layout engine would double the time.
        self.weekly = figure.add_axes((0.07, 0.50, 0.91, 0.40) if with_parts else (0.07, 0.14, 0.91, 0.76))
        self.weekly.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        self.weekly.yaxis.set_major_formatter(numbers)
        self.weekly.grid(axis="y", alpha=0.3)
        self.weekly.set_axisbelow(True)
        self.by_area = None
        if with_parts:
            self.by_area = figure.add_axes((0.20, 0.10, 0.78, 0.31))
            self.by_area.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
            self.by_area.xaxis.set_major_formatter(numbers)
            self.by_area.grid(axis="x", alpha=0.3)
            self.by_area.set_axisbelow(True)
        self.title = figure.suptitle("", y=0.975, fontsize=13, fontweight="bold")
        handles = [Patch(color=COLOURS[i], label=m.label) for i, m in enumerate(CHAT_MEASURES)]
        self.legend = figure.legend(handles=handles, loc="lower center", ncols=3, fontsize=9, frameon=False)
        self.figure = figure

    def draw(self, report: WeeklyReport, parts: list[Line]) -> bytes:
        measures = CHAT_MEASURES
        count = len(report.weeks)
        self.title.set_text(
            _nfc(
                _("{area}: {first} to {last}").format(
                    area=report.title,
                    first=i18n.fmt_date(report.first_day),
                    last=i18n.fmt_date(report.last_day),
                )
            )
        )
        for text, measure in zip(self.legend.get_texts(), measures, strict=True):
            text.set_text(_nfc(_(measure.label)))

        weekly = self.weekly
        for old in list(weekly.collections):
            old.remove()
        width = 0.8 / len(measures)
        highest = 1
        for index, measure in enumerate(measures):
            centres = [x + (index - (len(measures) - 1) / 2) * width for x in range(count)]
            values = [report.total.get(week, measure.kind) for week in report.weeks]
            highest = max(highest, *values)
            _bars(weekly, centres, values, width, COLOURS[index], across=False)
        weekly.set_xlim(-0.5, count - 0.5)
        weekly.set_ylim(0, highest * 1.05)
        step = max(1, math.ceil(count / MAX_WEEK_LABELS))
        ticks = list(range(count - 1, -1, -step))[::-1]  # always label the latest week
        weekly.set_xticks(ticks, [week_label(report, report.weeks[i]) for i in ticks])
        weekly.set_title(_nfc(_("Per week (Monday's date; * = not over yet)")), fontsize=11)

        by_area = self.by_area
        if by_area is not None:
            for old in list(by_area.collections):
                old.remove()
            rows = len(parts)
            height = 0.8 / len(measures)
            highest = 1
            for index, measure in enumerate(measures):
                centres = [y + (index - (len(measures) - 1) / 2) * height for y in range(rows)]
                values = [p.series.total(measure.kind) for p in parts]
                highest = max(highest, *values)
                _bars(by_area, centres, values, height, COLOURS[index], across=True)
            by_area.set_ylim(rows - 0.5, -0.5)  # tree order, top to bottom
            by_area.set_xlim(0, highest * 1.05)
            by_area.set_yticks(
                range(rows), [_nfc(short_name(p.label, 24)) for p in parts], fontsize=9 if rows <= 15 else 7
            )
            by_area.set_title(
                _nfc(
                    ngettext("By area (total of {n} week)", "By area (total of {n} weeks)", count).format(
                        n=count
                    )
                ),
                fontsize=11,
            )
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
        return buffer.getvalue()


_CANVASES: dict[bool, _Canvas] = {}
