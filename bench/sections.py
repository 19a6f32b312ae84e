"""Write one benchmark's figures into its own marked section of BENCHMARKS.md."""

from __future__ import annotations

from pathlib import Path


def write_section(path: Path, name: str, heading: str, body: str) -> None:
    """Replace the section between the `bench:<name>` markers, or add it under `heading`."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if start in text:
        head, _, rest = text.partition(start)
        _, _, tail = rest.partition(end)
    else:
        head, tail = text.rstrip("\n") + f"\n\n## {heading}\n\n", "\n"
    path.write_text(f"{head}{start}\n{body}\n{end}{tail}", encoding="utf-8")
