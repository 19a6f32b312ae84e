"""Evaluate the coder on the public gold sets and write the figures into the README.

python bench/quality.py [--gold ../shared/gold] [--update-readme README.md]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from coder.evaluate import Report, evaluate_file
from coder.pipeline import code_article
from coder.record import CODER_VERSION, Event

REPO = Path(__file__).resolve().parents[1]
GOLD_FILES = (
    ("petrarch2_gsr_validation.jsonl", "root-dyad F1 ≥ 0.60"),
    ("plover_gsr_cameo_manual.jsonl", "root-dyad F1 ≥ 0.50 (its `cameo_events`)"),
    ("cameo_codebook_examples.jsonl", "event root accuracy ≥ 0.60"),
    ("petrarch_pytest_sentences.jsonl", "smoke test, no floor"),
)
# The project's own date-and-place sets, in seeds/: the first was used while building the
# rules; the held-out one was written afterwards by another hand and never tuned on.
OWN_FILES = (
    ("when_where.jsonl", "date and location accuracy ≥ 0.90"),
    ("when_where_heldout.jsonl", "held out: reported, not tuned on"),
)
START, END = "<!-- quality:start -->", "<!-- quality:end -->"


def coder(text: str, published: str | None, record_id: str, dyad: bool) -> list[Event]:
    """Code one gold sentence."""
    return code_article(text, published=published, article_id=record_id, require_dyad=dyad)


def row(report: Report, floor: str) -> str:
    """Render one gold file's figures as a Markdown table row."""
    if report.dates.expected:
        dates, places = report.dates, report.locations
        figures = (
            f"event date accuracy **{dates.rate:.3f}**, location accuracy **{places.rate:.3f}** "
            f"({dates.uncoded} of {dates.expected} events not coded at all, counted wrong; "
            f"root dyad F1 {report.root_dyad.f1:.3f})"
        )
    elif report.code_records:
        figures = (
            f"event root accuracy **{report.root_accuracy:.3f}**, "
            f"full-code accuracy {report.code_accuracy:.3f}"
        )
    else:
        root, full = report.root_dyad, report.full
        figures = (
            f"root dyad P {root.precision:.3f} R {root.recall:.3f} F1 **{root.f1:.3f}**; "
            f"full P {full.precision:.3f} R {full.recall:.3f} F1 {full.f1:.3f}"
        )
    return f"| `{report.file}` | {report.scored} | {figures} | {floor} |"


def section(gold_dir: Path) -> str:
    """Evaluate every gold file present and render the README section."""
    files = [(gold_dir / name, floor) for name, floor in GOLD_FILES]
    files += [(REPO / "seeds" / name, floor) for name, floor in OWN_FILES]
    rows = [row(evaluate_file(path, coder), floor) for path, floor in files if path.is_file()]
    return "\n".join(
        [
            f"Measured with coder {CODER_VERSION} by `make quality` (`bench/quality.py`), "
            "on the public gold sets in `../shared/gold` (not part of this repository) and the "
            "project's own date-and-place sets in `seeds/`. "
            "Root dyad compares the actors' first three letters and the event's 2-digit root; "
            "full compares whole codes. Negated events are not counted.",
            "",
            "| gold file | records scored | figures | floor |",
            "|---|---:|---|---|",
            *rows,
        ]
    )


def update_readme(path: Path, body: str) -> None:
    """Replace the README's quality section."""
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{START}\n{body}\n{END}{tail}", encoding="utf-8")


def main() -> None:
    """Print the quality section, and write it into the README when asked."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gold", type=Path, default=REPO.parent / "shared" / "gold")
    parser.add_argument("--update-readme", type=Path)
    args = parser.parse_args()
    if not args.gold.is_dir():
        raise SystemExit(f"quality: {args.gold} not found")
    body = section(args.gold)
    print(body)
    if args.update_readme:
        update_readme(args.update_readme, body)


if __name__ == "__main__":
    main()
