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

from bot import i18n
from bot.i18n import _, ngettext
from bot.reports.model import CHAT_MEASURES, WeeklyReport
from bot.reports.text import short_name, week_label

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


def render_png(report: WeeklyReport) -> bytes:
    """A WIDTH_PX x HEIGHT_PX PNG: bars per week, and per area one level down when there are any."""
    # Imported here: matplotlib takes a noticeable time to load, and only reports need it.
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    measures = CHAT_MEASURES
    numbers = FuncFormatter(lambda value, _pos: i18n.fmt_number(int(value)) if value == int(value) else "")
    with _LOCK, matplotlib.rc_context({"font.family": FONT_FAMILY, "font.size": 10}):
        figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        parts = [p for p in report.parts if p.area is not None or not p.series.is_zero()]
        if parts:
            weekly, by_area = figure.subplots(2, 1, height_ratios=(3, 2))
        else:
            weekly, by_area = figure.subplots(1, 1), None
        figure.suptitle(
            _nfc(
                _("{area}: {first} to {last}").format(
                    area=report.title,
                    first=i18n.fmt_date(report.first_day),
                    last=i18n.fmt_date(report.last_day),
                )
            ),
            fontsize=13,
            fontweight="bold",
        )

        count = len(report.weeks)
        width = 0.8 / len(measures)
        for index, measure in enumerate(measures):
            offsets = [x + (index - (len(measures) - 1) / 2) * width for x in range(count)]
            values = [report.total.get(week, measure.kind) for week in report.weeks]
            weekly.bar(offsets, values, width, label=_nfc(_(measure.label)), color=COLOURS[index])
        step = max(1, math.ceil(count / MAX_WEEK_LABELS))
        ticks = list(range(count - 1, -1, -step))[::-1]  # always label the latest week
        weekly.set_xticks(ticks, [week_label(report, report.weeks[i]) for i in ticks])
        weekly.set_title(_nfc(_("Per week (Monday's date; * = not over yet)")), fontsize=11)
        weekly.yaxis.set_major_locator(MaxNLocator(integer=True))
        weekly.yaxis.set_major_formatter(numbers)
        weekly.grid(axis="y", alpha=0.3)
        figure.legend(loc="outside lower center", ncols=3, fontsize=9, frameon=False)

        if by_area is not None:
            rows = len(parts)
            height = 0.8 / len(measures)
            for index, measure in enumerate(measures):
                offsets = [y + (index - (len(measures) - 1) / 2) * height for y in range(rows)]
                values = [p.series.total(measure.kind) for p in parts]
                by_area.barh(offsets, values, height, color=COLOURS[index])
            by_area.set_yticks(
                range(rows), [_nfc(short_name(p.label, 24)) for p in parts], fontsize=9 if rows <= 15 else 7
            )
            by_area.invert_yaxis()  # tree order, top to bottom
            by_area.set_title(
                _nfc(
                    ngettext("By area (total of {n} week)", "By area (total of {n} weeks)", count).format(
                        n=count
                    )
                ),
                fontsize=11,
            )
            by_area.xaxis.set_major_locator(MaxNLocator(integer=True))
            by_area.xaxis.set_major_formatter(numbers)
            by_area.grid(axis="x", alpha=0.3)

        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
