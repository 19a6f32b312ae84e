"""The CAMEO to PLOVER crosswalk (coder/data/plover.txt): well formed, complete, and faithful."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coder.layouts import plover_event

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "coder" / "data"
# Read in place from ../shared for the comparison test; never copied into the repository.
MANUAL = REPO.parent / "shared" / "gold" / "raw" / "PLOVER" / "CAMEO2PLOVER-2021.txt"

PLOVER_EVENTS = frozenset(
    "AGREE CONSULT SUPPORT CONCEDE COOPERATE AID RETREAT REQUEST ACCUSE REJECT THREATEN PROTEST "
    "SANCTION MOBILIZE COERCE ASSAULT".split()
)

Mapping = tuple[str, str, frozenset[str]]  # event, mode, contexts


def data_lines(path: Path) -> list[str]:
    """Return the non-blank lines of a data file, comments removed."""
    lines = (raw.split("#", 1)[0].strip() for raw in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def contexts(text: str) -> frozenset[str]:
    """Split a `;`-separated context field."""
    return frozenset(item.strip() for item in text.split(";") if item.strip())


def read_table() -> dict[str, Mapping]:
    """Parse plover.txt into {code: (event, mode, contexts)}."""
    table: dict[str, Mapping] = {}
    for line in data_lines(DATA / "plover.txt"):
        fields = [field.strip() for field in line.split("|")]
        assert len(fields) == 4, line
        code, event, mode, context = fields
        assert code not in table, f"{code} has two lines"
        table[code] = (event, mode, contexts(context))
    return table


def read_cameo_codes() -> list[str]:
    """Return the codes of cameo.txt, in file order."""
    return [line.split("|", 1)[0].strip() for line in data_lines(DATA / "cameo.txt")]


def resolve(table: dict[str, Mapping], code: str) -> Mapping | None:
    """Return the mapping of a code's longest prefix (4, 3 or 2 digits) that has a line."""
    for length in (4, 3, 2):
        if len(code) >= length and code[:length] in table:
            return table[code[:length]]
    return None


TABLE = read_table()
CAMEO_CODES = read_cameo_codes()
NONE: Mapping = ("", "", frozenset())


def test_lines_are_sorted_known_codes_with_valid_values():
    codes = list(TABLE)
    assert codes == sorted(codes)
    assert set(codes) <= set(CAMEO_CODES)
    for code, (event, mode, context) in TABLE.items():
        assert re.fullmatch(r"\d{2,4}", code), code
        assert event in PLOVER_EVENTS or event == "", code
        assert mode == mode.lower() and " " not in mode, code
        assert all(re.fullmatch(r"[a-z_]+", item) for item in context), code


def test_every_root_has_a_line_and_no_line_repeats_its_parent():
    assert {code[:2] for code in CAMEO_CODES} <= set(TABLE)
    for code, mapping in TABLE.items():
        if len(code) > 2:
            assert resolve(TABLE, code[:-1]) != mapping, f"{code} repeats what its parent gives"


@pytest.mark.parametrize("code", CAMEO_CODES)
def test_every_cameo_code_resolves(code):
    assert resolve(TABLE, code) is not None


@pytest.mark.parametrize(
    ("code", "event", "mode"),
    [
        ("01", "", ""),  # PLOVER drops CAMEO's statements and appeals
        ("0123", "", ""),
        ("0213", "", ""),
        ("036", "AGREE", ""),
        ("041", "CONSULT", "phone"),
        ("042", "CONSULT", "visit"),
        ("051", "SUPPORT", ""),
        ("0841", "RETREAT", "release"),
        ("0813", "RETREAT", ""),  # under CONCEDE's 081
        ("091", "ACCUSE", "investigate"),
        ("112", "ACCUSE", "disapprove"),
        ("14", "PROTEST", ""),
        ("1411", "PROTEST", "demo"),
        ("163", "COERCE", "restrict"),  # under SANCTION's root
        ("173", "COERCE", "arrest"),
        ("1712", "ASSAULT", "seize"),
        ("1823", "ASSAULT", ""),
        ("190", "ASSAULT", ""),
        ("191", "COERCE", "restrict"),
        ("193", "ASSAULT", "firearms"),
        ("2041", "ASSAULT", "unconventional"),
    ],
)
def test_known_mappings(code, event, mode):
    assert resolve(TABLE, code)[:2] == (event, mode)


def test_contexts():
    assert resolve(TABLE, "030")[2] == {"diplomatic"}
    assert resolve(TABLE, "1121")[2] == {"crime", "corruption"}
    assert resolve(TABLE, "0344")[2] == {"political_institutions"}


@pytest.mark.parametrize("code", CAMEO_CODES)
def test_the_coders_loader_reads_the_same_table(code):
    event, mode, context = resolve(TABLE, code)
    found = plover_event(code)
    if not event:
        assert found is None
    else:
        assert (found.event, found.mode, contexts(found.context)) == (event, mode, context)


def read_manual(path: Path) -> dict[str, Mapping]:
    """Parse the manual's `code: EVENT, mode, context  # name` lines; the first line of a code wins
    (08 heads two sections, CONCEDE then RETREAT; 175 is written twice)."""
    manual: dict[str, Mapping] = {}
    for line in data_lines(path):
        found = re.fullmatch(r"(\d{2,4}):(.*)", line)
        if found:
            event, mode, context = ([part.strip() for part in found[2].split(",")] + ["", ""])[:3]
            manual.setdefault(found[1], (event.upper(), mode.lower(), contexts(context.lower())))
    return manual


@pytest.mark.gold
@pytest.mark.skipif(not MANUAL.is_file(), reason="the PLOVER manual's table is not in ../shared")
def test_agrees_with_the_plover_manual():
    manual = read_manual(MANUAL)
    ours = {code: resolve(TABLE, code) for code in CAMEO_CODES}
    theirs = {code: resolve(manual, code) or NONE for code in CAMEO_CODES}
    assert {c: m[:2] for c, m in ours.items()} == {c: m[:2] for c, m in theirs.items()}
    assert ours == theirs  # contexts too
