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
    from matplotlib.text import Text

WIDTH_PX, HEIGHT_PX, DPI = 1000, 800, 100  # the height grows with the number of areas
FONT_FAMILY = "DejaVu Sans"
# One per chat measure: matplotlib's qualitative palette, told apart without the legend's order.
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#8c564b", "#9467bd", "#e377c2", "#d62728")
MAX_WEEK_LABELS = 13
# The areas panel is a table: one row per area and a total row, one column per measure, each
# cell its number beside a bar scaled to the largest number of its column.
ROW_PX = 28
TOP_PX = 120  # above the weekly panel: the title, the legend and the panel's title
BETWEEN_PX = 95  # the weekly panel's labels, the table's title and its column headers
MIN_WEEKLY_PX = 260
BOTTOM_PX = 25

# matplotlib's rcParams are process-wide; charts are drawn one at a time (in worker threads).
_LOCK = threading.Lock()


def font_path() -> Path:
    """The font file the chart's text is drawn with."""
    from matplotlib import font_manager

    return Path(font_manager.findfont(FONT_FAMILY, fallback_to_default=False))


def _nfc(text: str) -> str:
    # Decomposed accents (typed on some keyboards) would be drawn as separate marks.
    return unicodedata.normalize("NFC", text)


def _bars(axes: Axes, centres: list[float], values: list[int], thickness: float, colour: str) -> None:
    """One collection per series: hundreds of separate bar patches would take most of the time."""
    from matplotlib.collections import PolyCollection

    half = thickness / 2
    shapes = [
        [(centre - half, 0), (centre - half, value), (centre + half, value), (centre + half, 0)]
        for centre, value in zip(centres, values, strict=True)
        if value
    ]
    axes.add_collection(PolyCollection(shapes, facecolors=colour, edgecolors="none"), autolim=False)


def height_px(rows: int) -> int:
    """The picture's height for a table of ``rows`` (areas and the total; 0: no table): HEIGHT_PX,
    or more when the rows need it (the weekly panel takes what the table leaves)."""
    return max(HEIGHT_PX, TOP_PX + MIN_WEEKLY_PX + BETWEEN_PX + rows * ROW_PX + BOTTOM_PX)


def render_png(report: WeeklyReport) -> bytes:
    """A PNG WIDTH_PX wide: bars per week and, when the area has areas one level down, a table of
    their totals (numbers and bars), one row each, the picture growing with their number."""
    import matplotlib

    parts = [p for p in report.parts if p.area is not None or not p.series.is_zero()]
    rows = len(parts) + 1 if parts else 0
    with _LOCK, matplotlib.rc_context({"font.family": FONT_FAMILY, "font.size": 10}):
        canvas = _CANVASES.get(rows)
        if canvas is None:
            canvas = _CANVASES[rows] = _Canvas(rows)
        return canvas.draw(report, parts)


class _Canvas:
    """A prepared figure, reused for every chart of the same layout (the same number of table
    rows): building the axes, ticks and legend costs about as much as drawing them. Only the
    bars, numbers, labels and titles change between charts; drawing is serialised by ``_LOCK``."""

    def __init__(self, rows: int) -> None:
        # Imported here: matplotlib takes a noticeable time to load, and only reports need it.
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch
        from matplotlib.ticker import FuncFormatter, MaxNLocator

        numbers = FuncFormatter(
            lambda value, _pos: i18n.fmt_number(int(value)) if value == int(value) else ""
        )
        height = height_px(rows)
        self.rows = rows
        table_top = height - BOTTOM_PX - rows * ROW_PX
        figure = Figure(figsize=(WIDTH_PX / DPI, height / DPI), dpi=DPI)
        FigureCanvasAgg(figure)

        def box(
            left: float, top_px: float, width: float, height_of: float
        ) -> tuple[float, float, float, float]:
            """Axes position from pixels measured from the top of the picture."""
            return (left, 1 - (top_px + height_of) / height, width, height_of / height)

        # Fixed positions: a layout engine would double the time.
        weekly_height = table_top - BETWEEN_PX - TOP_PX if rows else height - TOP_PX - 60
        self.weekly = figure.add_axes(box(0.07, TOP_PX, 0.91, weekly_height))
        self.weekly.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        self.weekly.yaxis.set_major_formatter(numbers)
        self.weekly.grid(axis="y", alpha=0.3)
        self.weekly.set_axisbelow(True)
        self.table = None
        if rows:
            self.table = figure.add_axes(box(0.22, table_top, 0.76, rows * ROW_PX))
            self.table.set_xlim(0, len(CHAT_MEASURES))
            self.table.set_ylim(rows, 0)
            self.table.tick_params(length=0)
            self.table.xaxis.tick_top()
            for side in ("right", "bottom", "left"):
                self.table.spines[side].set_visible(False)
            self.table.axhline(rows - 1, color="#555555", linewidth=0.8)  # above the total row
            self.table_title = figure.text(0.5, 1 - (table_top - 48) / height, "", ha="center", fontsize=11)
        self.title = figure.suptitle("", y=1 - 18 / height, fontsize=13, fontweight="bold")
        handles = [Patch(color=COLOURS[i], label=m.label) for i, m in enumerate(CHAT_MEASURES)]
        self.legend = figure.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 1 - 34 / height),
            ncols=4,
            fontsize=9,
            frameon=False,
        )
        self.figure = figure
        self._cells: list[Text] = []

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
            _bars(weekly, centres, values, width, COLOURS[index])
        weekly.set_xlim(-0.5, count - 0.5)
        weekly.set_ylim(0, highest * 1.05)
        step = max(1, math.ceil(count / MAX_WEEK_LABELS))
        ticks = list(range(count - 1, -1, -step))[::-1]  # always label the latest week
        weekly.set_xticks(ticks, [week_label(report, report.weeks[i]) for i in ticks])
        weekly.set_title(_nfc(_("Per week (Monday's date; * = not over yet)")), fontsize=11)
        if self.table is not None:
            self._draw_table(report, parts)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
        return buffer.getvalue()

    def _draw_table(self, report: WeeklyReport, parts: list[Line]) -> None:
        """Each area's totals as numbers, each beside a bar scaled to its column's largest number;
        the total of the whole area last, so the rows visibly add up."""
        from matplotlib.collections import PolyCollection

        table = self.table
        assert table is not None
        for old in list(table.collections):
            old.remove()
        for text in self._cells:
            text.remove()
        self._cells = []
        measures = CHAT_MEASURES
        lines = [*(p.series for p in parts), report.total]
        size = 9
        for column, measure in enumerate(measures):
            values = [series.total(measure.kind) for series in lines]
            top = max(values[:-1], default=0) or 1
            shapes = []
            for row, value in enumerate(values):
                if value and row < len(values) - 1:
                    length = 0.55 * min(1.0, value / top)
                    lo, hi = row + 0.2, row + 0.8
                    shapes.append(
                        [
                            (column + 0.05, lo),
                            (column + 0.05 + length, lo),
                            (column + 0.05 + length, hi),
                            (column + 0.05, hi),
                        ]
                    )
                self._cells.append(
                    table.text(
                        column + 0.95,
                        row + 0.5,
                        i18n.fmt_number(value),
                        ha="right",
                        va="center",
                        fontsize=size,
                        fontweight="bold" if row == len(values) - 1 else "normal",
                    )
                )
            table.add_collection(
                PolyCollection(shapes, facecolors=COLOURS[column], edgecolors="none", alpha=0.55),
                autolim=False,
            )
        labels = [_nfc(short_name(p.label, 26)) for p in parts] + [_nfc(_("Total"))]
        table.set_yticks([row + 0.5 for row in range(len(labels))], labels, fontsize=size)
        table.get_yticklabels()[-1].set_fontweight("bold")
        table.set_xticks(
            [column + 0.5 for column in range(len(measures))],
            [_nfc(_(m.short)) for m in measures],
            fontsize=9,
        )
        count = len(report.weeks)
        self.table_title.set_text(
            _nfc(
                ngettext("By area (total of {n} week)", "By area (total of {n} weeks)", count).format(n=count)
            )
        )


_CANVASES: dict[int, _Canvas] = {}  # by the number of table rows (0: no table)
