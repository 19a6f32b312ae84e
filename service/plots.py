"""Charts of stored events, drawn with matplotlib (imported only when a chart is asked for)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

QUAD_LABELS = {
    "1": "verbal cooperation",
    "2": "material cooperation",
    "3": "verbal conflict",
    "4": "material conflict",
}
QUAD_COLOURS = {"1": "#4c9be8", "2": "#1f5fa8", "3": "#f0a04b", "4": "#c0392b"}


def plot_events_per_day(summary: dict[str, Any], path: Path) -> None:
    """Draw the events per day, stacked by quad class, from an events summary, to a PNG."""
    import matplotlib

    matplotlib.use("Agg")  # no display: write the file only
    import matplotlib.pyplot as plt

    days = [date.fromisoformat(day["date"]) for day in summary["by_day"]]
    figure, axes = plt.subplots(figsize=(10, 4), dpi=120)
    bottom = [0] * len(days)
    for quad, label in QUAD_LABELS.items():
        counts = [day["quad_classes"][quad] for day in summary["by_day"]]
        axes.bar(days, counts, bottom=bottom, label=label, color=QUAD_COLOURS[quad], width=0.9)
        bottom = [low + count for low, count in zip(bottom, counts, strict=True)]
    axes.set_ylabel("events per day")
    axes.set_title(f"{summary['dated_to_the_day']:,} events dated to the day, by quad class")
    axes.legend(loc="upper left", fontsize="small", frameon=False)
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path, format="png")
    plt.close(figure)
