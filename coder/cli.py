"""The `dyad` command line: code articles, evaluate against gold sets."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from coder.articles import Article, InputError, read_inputs
from coder.dedup import MODES, merge
from coder.dictionaries import ACTORS_ENV, AGENTS_ENV
from coder.formats import FORMATS, text_chunks, write_parquet
from coder.layouts import LAYOUTS, QUAD_SCHEMES, Layout, layout_for
from coder.record import Event


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with its subcommands."""
    parser = argparse.ArgumentParser(prog="dyad", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    code = commands.add_parser("code", help="code articles into CAMEO events")
    code.add_argument(
        "inputs", nargs="+", metavar="INPUT", help=".txt/.html/.json/.jsonl file, or -"
    )
    code.add_argument("--format", choices=FORMATS, default="jsonl")
    code.add_argument(
        "--layout", choices=sorted(LAYOUTS), default="native",
        help="columns to write: ours (native) or a peer dataset's",
    )  # fmt: skip
    code.add_argument(
        "--quad-scheme", choices=sorted(QUAD_SCHEMES),
        help="quad classes: standard (GDELT, ICEWS) or phoenix (penta); default: the layout's",
    )  # fmt: skip
    code.add_argument(
        "--dedup", choices=MODES, default="none",
        help="merge mentions of one event: per story, per day, or in ±1-day clusters",
    )  # fmt: skip
    code.add_argument("--published", help="publication date (YYYY-MM-DD) for inputs without one")
    code.add_argument("--output", "-o", help="write here instead of standard output")
    evaluate = commands.add_parser("evaluate", help="score the coder on a gold JSON Lines file")
    evaluate.add_argument("gold", metavar="GOLD.jsonl")
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    for command in (code, evaluate):
        add_dictionary_options(command)
    return parser


def add_dictionary_options(command: argparse.ArgumentParser) -> None:
    """Let a command plug in PETRARCH-format actor and agent dictionaries."""
    command.add_argument(
        "--petrarch-actors",
        action="append",
        default=[],
        metavar="FILE",
        help="a PETRARCH actor dictionary to code with (repeatable; wins over ours)",
    )
    command.add_argument(
        "--petrarch-agents",
        action="append",
        default=[],
        metavar="FILE",
        help="a PETRARCH agent dictionary to code with (repeatable)",
    )


def plug_in_dictionaries(args: argparse.Namespace) -> None:
    """Check the PETRARCH dictionary files and hand them to the coder."""
    for variable, files in ((ACTORS_ENV, args.petrarch_actors), (AGENTS_ENV, args.petrarch_agents)):
        for name in files:
            if not Path(name).is_file():
                raise InputError(f"{name}: no such file")
        if files:
            os.environ[variable] = os.pathsep.join(str(Path(name).resolve()) for name in files)


def progress(items: Iterable, total: int | None = None, unit: str = "article") -> Iterable:
    """Wrap an iterable in a progress bar on stderr when stderr is a terminal."""
    from tqdm import tqdm

    return tqdm(items, total=total, unit=unit, file=sys.stderr, disable=None, leave=False)


def validate_published(value: str | None) -> str | None:
    """Check a --published date, so a typo fails before any coding starts."""
    from coder.pipeline import parse_published

    if value is not None:
        parse_published(value)
    return value


def coded_records(articles: Iterable[Article]) -> Iterator[dict]:
    """Code each article and yield its events' records with the article's url and source."""
    from coder.pipeline import code_article

    for article in articles:
        try:
            events = code_article(article.text, published=article.published, article_id=article.id)
        except ValueError as error:
            raise InputError(f"article {article.id}: {error}") from None
        about = {"url": article.url, "source": article.source, "published_at": article.published}
        for event in events:
            yield {**event.to_dict(), **about}


def write_records(records: Iterable[dict], output: TextIO, fmt: str, layout: Layout,
                  scheme: str | None = None) -> None:  # fmt: skip
    """Write records as text in the chosen layout and format."""
    for chunk in text_chunks(fmt, layout.columns, layout.rows(records, scheme)):
        output.write(chunk)


def run_code(args: argparse.Namespace) -> int:
    """Code the inputs and write their events."""
    published = validate_published(args.published)
    stdin_text = sys.stdin.read() if "-" in args.inputs else None
    # Read every input first, so a bad record fails before any output is written.
    if args.format == "parquet" and not args.output:
        raise InputError("parquet is a binary format: give a file with --output")
    articles = list(read_inputs(args.inputs, stdin_text, published))
    records = merge(coded_records(progress(articles, total=len(articles))), args.dedup)
    layout = layout_for(args.layout, merged=args.dedup != "none")
    if args.format == "parquet":
        rows = layout.rows(records, args.quad_scheme)
        write_parquet(layout.columns, rows, args.output, layout.types)
    elif args.output:
        with Path(args.output).open("w", encoding="utf-8", newline="") as handle:
            write_records(records, handle, args.format, layout, args.quad_scheme)
    else:
        write_records(records, sys.stdout, args.format, layout, args.quad_scheme)
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    """Score the coder on a gold file and print the figures."""
    from coder.evaluate import evaluate_file, format_report
    from coder.pipeline import code_article

    def coder(text: str, published: str | None, record_id: str, dyad: bool) -> list[Event]:
        return code_article(text, published=published, article_id=record_id, require_dyad=dyad)

    report = evaluate_file(
        Path(args.gold), coder, progress=lambda items: progress(items, unit="record")
    )
    print(json.dumps(report.as_dict(), indent=2) if args.json else format_report(report))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the `dyad` command and return its exit code."""
    args = build_parser().parse_args(argv)
    handlers = {"code": run_code, "evaluate": run_evaluate}
    try:
        plug_in_dictionaries(args)
        return handlers[args.command](args)
    except (InputError, ValueError) as error:
        print(f"dyad: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dyad: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
