"""The `dyad` command line: inputs, output formats and one-line errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from coder.cli import main
from coder.record import RECORD_FIELDS

SENTENCE = "Russian President Vladimir Putin accused NATO of expanding eastward."


def run_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """Run `python -m coder.cli` in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "coder.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def test_codes_a_text_file_as_jsonl(tmp_path, capsys):
    article = tmp_path / "story.txt"
    article.write_text(SENTENCE, encoding="utf-8")
    assert main(["code", str(article), "--published", "2021-12-01"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert records, "expected at least one event"
    assert list(records[0]) == list(RECORD_FIELDS)
    assert records[0]["article_id"] == "story"
    assert records[0]["date"] == "2021-12-01"
    assert {(r["source_code"], r["target_code"]) for r in records} >= {("RUSGOV", "IGOWSTNAT")}


def test_jsonl_articles_with_linked_files_and_csv_output(tmp_path):
    (tmp_path / "a.txt").write_text(SENTENCE, encoding="utf-8")
    lines = [
        {"id": "inline", "text": SENTENCE, "published_at": "2021-12-01"},
        {"id": "linked", "file": "a.txt", "published_at": "2021-12-01"},
    ]
    source = tmp_path / "articles.jsonl"
    source.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    out = tmp_path / "events.csv"
    assert main(["code", str(source), "--format", "csv", "--output", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {row["article_id"] for row in rows} == {"inline", "linked"}
    assert list(rows[0]) == list(RECORD_FIELDS)


def test_stdin_and_json_format():
    result = run_cli("code", "-", "--format", "json", "--published", "2021-12-01", stdin=SENTENCE)
    assert result.returncode == 0, result.stderr
    assert any(r["target_code"] == "IGOWSTNAT" for r in json.loads(result.stdout))


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (None, "missing.txt", "no such file"),
        (
            '{"id": "1", "text": "x"}\n{"id": 2, "text": \n',
            "bad.jsonl",
            "bad.jsonl:2: invalid JSON",
        ),
        ('{"id": "1", "text": "   "}\n', "empty.jsonl", "empty.jsonl:1: article has no text"),
        ("", "empty.txt", "article has no text"),
        ("[1, 2]", "list.json", "expected a JSON object"),
        ("text", "notes.docx", "unsupported file type"),
    ],
)
def test_bad_input_gets_one_line_and_exit_2(tmp_path, content, name, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = run_cli("code", str(path))
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_bad_published_date_is_one_line(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text(SENTENCE, encoding="utf-8")
    result = run_cli("code", str(path), "--published", "07/12/2021")
    assert result.returncode == 2
    assert "not ISO 8601" in result.stderr
    assert "Traceback" not in result.stderr


def test_evaluate_missing_file_is_one_line():
    result = run_cli("evaluate", "no-such-gold.jsonl")
    assert result.returncode == 2
    assert "no such file" in result.stderr


def test_plugged_in_petrarch_dictionaries_code_their_actors(tmp_path):
    actors = tmp_path / "mine.actors.txt"
    actors.write_text("FREEDONIA_ [FRE]\n+FREEDONIAN_\n", encoding="utf-8")
    agents = tmp_path / "mine.agents.txt"
    agents.write_text("PALACE_GUARD [~MIL]\n", encoding="utf-8")
    article = tmp_path / "story.txt"
    article.write_text("Freedonian palace guards attacked Russian troops.", encoding="utf-8")
    plain = run_cli("code", str(article), "--published", "2021-12-01")
    plugged = run_cli(
        "code",
        str(article),
        "--published",
        "2021-12-01",
        "--petrarch-actors",
        str(actors),
        "--petrarch-agents",
        str(agents),
    )
    assert plugged.returncode == 0, plugged.stderr
    records = [json.loads(line) for line in plugged.stdout.splitlines()]
    assert {(r["source_code"], r["event_root_code"], r["target_code"]) for r in records} == {
        ("FREMIL", "19", "RUSMIL")
    }
    before = {json.loads(line)["dictionary_version"] for line in plain.stdout.splitlines()}
    assert before.isdisjoint({r["dictionary_version"] for r in records})


def test_missing_petrarch_dictionary_is_one_line(tmp_path):
    article = tmp_path / "story.txt"
    article.write_text(SENTENCE, encoding="utf-8")
    result = run_cli("code", str(article), "--petrarch-actors", str(tmp_path / "none.txt"))
    assert result.returncode == 2
    assert "none.txt: no such file" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_writes_a_peer_layout_as_tsv_and_parquet(tmp_path, capsys):
    import pyarrow.parquet as pq

    from coder.layouts import GDELT_COLUMNS, PHOENIX_COLUMNS

    article = tmp_path / "story.txt"
    article.write_text(SENTENCE, encoding="utf-8")
    assert main(["code", str(article), "--published", "2021-12-01", "--layout", "gdelt",
                 "--format", "tsv"]) == 0  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t") == list(GDELT_COLUMNS) and len(lines) >= 2
    out = tmp_path / "events.parquet"
    assert main(["code", str(article), "--published", "2021-12-01", "--layout", "phoenix",
                 "--format", "parquet", "--output", str(out)]) == 0  # fmt: skip
    table = pq.read_table(out)
    assert table.column_names == list(PHOENIX_COLUMNS) and table.num_rows >= 1
    assert table.column("PentaClass").to_pylist()[0] == 3  # an accusation: verbal conflict


def test_parquet_needs_an_output_file():
    result = run_cli("code", "-", "--format", "parquet", stdin=SENTENCE)
    assert result.returncode == 2
    assert "--output" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_dedup_merges_the_seed_mentions_and_writes_the_merge_fields(capsys):
    from pathlib import Path

    from coder.layouts import MERGE_FIELDS

    seeds = str(Path(__file__).resolve().parents[2] / "seeds" / "articles.jsonl")
    assert main(["code", seeds, "--format", "jsonl"]) == 0
    every = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert main(["code", seeds, "--format", "jsonl", "--dedup", "cluster"]) == 0
    merged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert 0 < len(merged) < len(every)
    assert list(merged[0])[-len(MERGE_FIELDS):] == list(MERGE_FIELDS)
    assert sum(row["num_mentions"] for row in merged) == len(every)
