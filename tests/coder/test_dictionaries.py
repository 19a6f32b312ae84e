"""The project's own dictionaries: coverage, cross-file consistency and format errors."""

from __future__ import annotations

import re
import shutil
from datetime import date
from itertools import pairwise
from pathlib import Path

import pytest

from coder.dictionaries import (
    DATA_DIR,
    DictionaryError,
    content_hash,
    load_cameo,
    load_dictionaries,
    load_patterns,
    plural_forms,
)
from coder.lexicon import COUNTRY, METONYM, PERSON
from coder.nlp import phrase_tokens

G20 = "ARG AUS BRA CAN CHN FRA DEU IND IDN ITA JPN KOR MEX RUS SAU ZAF TUR GBR USA".split()
# Permanent members and a run of elected Security Council members (2019-2026).
UNSC = (
    "CHN FRA RUS GBR USA "
    "BEL DOM DEU IDN ZAF EST NER TUN VCT VNM ALB BRA GAB GHA ARE IND IRL KEN MEX NOR "
    "ECU JPN MLT MOZ CHE DZA GUY KOR SLE SVN DNK GRC PAK PAN SOM"
).split()
CONFLICT_STATES = (
    "UKR SYR YEM AFG IRQ IRN ISR PSE LBY SDN SSD ETH ERI MMR NGA MLI BFA COD VEN PRK EGY LBN "
    "CUB TWN SRB BIH XKX ARM AZE GEO"
).split()
SAMPLE = sorted(set(G20 + UNSC + CONFLICT_STATES))


def data_rows(name: str) -> list[tuple[int, list[str]]]:
    """Return (line number, fields) of a `|`-separated data file, comments removed."""
    rows = []
    text = (DATA_DIR / name).read_text(encoding="utf-8")
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0]
        if line.strip():
            rows.append((number, [field.strip() for field in line.split("|")]))
    return rows


def items(field: str) -> list[str]:
    return [item.strip() for item in field.split(";") if item.strip()]


@pytest.fixture(scope="module")
def countries() -> dict[str, list[str]]:
    return {fields[0]: fields for _number, fields in data_rows("countries.txt")}


@pytest.fixture(scope="module")
def cameo_codes() -> set[str]:
    return {fields[0] for _number, fields in data_rows("cameo.txt")}


def lexicon_codes(phrase: str, kinds: tuple[str, ...], day: date | None = None) -> set[str]:
    """Return the codes the lexicon gives a whole phrase, for entries of the given kinds."""
    tokens = phrase_tokens(phrase)
    entries = load_dictionaries().lexicon.longest_at(list(tokens), 0)
    return {e.code_on(day) for e in entries if e.kind in kinds and len(e.phrase) == len(tokens)}


# ----- loading -----


def test_project_dictionaries_load():
    dicts = load_dictionaries()
    assert len(dicts.lexicon) > 5000
    assert len(dicts.cameo) > 250
    assert {"attack", "meet", "criticize", "protest", "arrest"} <= set(dicts.patterns)
    assert {"agree", "urge", "refuse", "threaten", "demand"} <= set(dicts.controls)
    assert re.fullmatch(r"[0-9a-f]{16}", dicts.version)


# ----- countries -----


def test_countries_cover_all_of_iso_3166():
    pycountry = pytest.importorskip("pycountry")
    expected = {country.alpha_3 for country in pycountry.countries}
    rows = data_rows("countries.txt")
    codes = [fields[0] for _number, fields in rows]
    assert len(codes) == len(set(codes)), "a country is listed twice"
    assert expected <= set(codes), sorted(expected - set(codes))
    iso2 = {country.alpha_3: country.alpha_2 for country in pycountry.countries}
    for _number, fields in rows:
        if fields[0] in iso2:
            assert fields[1] == iso2[fields[0]], fields[:3]


@pytest.mark.parametrize("iso3", SAMPLE)
def test_sampled_country_has_name_adjective_and_capital(countries, iso3):
    assert iso3 in countries, f"{iso3} missing from countries.txt"
    _iso3, iso2, name, _others, adjectives, capitals, _metonyms = countries[iso3]
    assert re.fullmatch(r"[A-Z]{2}", iso2)
    assert name and items(adjectives) and items(capitals), countries[iso3]
    for phrase in [name, items(adjectives)[0], items(capitals)[0]]:
        assert iso3 in lexicon_codes(phrase, (COUNTRY,)), phrase


def test_no_phrase_names_two_countries(countries):
    owner: dict[str, str] = {}
    for iso3, fields in countries.items():
        for field in fields[2:7]:
            for phrase in items(field):
                key = phrase.lower()
                assert owner.setdefault(key, iso3) == iso3, (phrase, owner[key], iso3)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("Kremlin", "RUSGOV"),
        ("White House", "USAGOV"),
        ("Downing Street", "GBRGOV"),
        ("Elysee", "FRAGOV"),
        ("Zhongnanhai", "CHNGOV"),
    ],
)
def test_government_metonyms(phrase, expected):
    assert lexicon_codes(phrase, (METONYM,)) == {expected}


# ----- verbs, control verbs and the CAMEO table -----


def test_cameo_table_has_every_root_and_a_goldstein_for_every_code():
    rows = data_rows("cameo.txt")
    codes = {fields[0] for _number, fields in rows}
    roots = {code for code in codes if len(code) == 2}
    assert roots == {f"{n:02d}" for n in range(1, 21)}
    for number, (code, goldstein, name) in rows:
        assert re.fullmatch(r"\d{2,4}", code), number
        assert -10.0 <= float(goldstein) <= 10.0, number
        assert name, number
        # Every code sits under its root, and a 4-digit code under its base code.
        assert code[:2] in roots, number
        assert len(code) < 4 or code[:3] in codes, number


def pattern_codes() -> set[str]:
    """Return the codes of every loaded verb pattern (word classes expanded)."""
    patterns = load_dictionaries().patterns.values()
    return {pattern.code for verb_patterns in patterns for pattern in verb_patterns}


def test_every_verb_code_is_in_the_cameo_table(cameo_codes):
    rows = [fields for _number, fields in data_rows("verbs.txt") if not fields[0].startswith("@")]
    assert rows
    assert [fields[0] for fields in rows if fields[0] not in cameo_codes] == []
    assert pattern_codes() <= set(cameo_codes)


def test_verbs_cover_every_root_and_many_codes():
    codes = pattern_codes()
    assert {code[:2] for code in codes} == {f"{n:02d}" for n in range(1, 21)}
    assert len(codes) >= 150, len(codes)


def test_word_classes_expand_in_every_position(data_copy):
    append_line(data_copy / "verbs.txt", "@DYADTESTGIVE | bestow; confer")
    append_line(data_copy / "verbs.txt", "@DYADTESTGIFT | trinket; bauble")
    append_line(data_copy / "verbs.txt", "070 | @DYADTESTGIVE @DYADTESTGIFT on +")
    patterns = load_patterns(data_copy / "verbs.txt", load_cameo(data_copy / "cameo.txt"))
    for verb in ("bestow", "confer"):
        (pattern,) = [p for p in patterns[verb] if p.code == "070"]
        assert pattern.words == (frozenset({"trinket", "bauble"}), frozenset({"on"}))
        assert pattern.target_after == "on"


def test_an_undefined_word_class_is_an_error(data_copy):
    append_line(data_copy / "verbs.txt", "070 | give @NOSUCHCLASS to +")
    with pytest.raises(DictionaryError, match=r"verbs\.txt:\d+: unknown word class @nosuchclass"):
        load_patterns(data_copy / "verbs.txt", load_cameo(data_copy / "cameo.txt"))


def test_every_control_code_is_in_the_cameo_table(cameo_codes):
    families = 0
    for number, fields in data_rows("control.txt"):
        line = fields[0]
        if line.startswith("["):
            families += 1
            continue
        source, target = (part.strip() for part in line.split("->"))
        assert target in cameo_codes, (number, line)
        assert source == "*" or source in cameo_codes, (number, line)
    assert families >= 5


@pytest.mark.parametrize(
    ("family", "complement", "expected"),
    [
        ("agree", "040", "036"),  # agreed to meet
        ("agree", "0841", "0353"),  # agreed to release prisoners
        ("urge", "0841", "0253"),  # urged X to release prisoners
        ("demand", "190", "100"),  # fallback
        ("refuse", "046", "125"),  # refused to hold talks
        ("threaten", "163", "1312"),  # threatened sanctions
        ("threaten", "190", "1384"),  # threatened to attack
    ],
)
def test_control_families_map_codes(family, complement, expected):
    control = load_dictionaries().control_family(family)
    assert control is not None
    assert control.derive(complement) == expected


# ----- people -----

# Heads of state or government of the G20 and the P5 on one date, and IGO heads.
LEADERS_2022 = [
    ("Alberto Fernández", "ARGGOV"),
    ("Scott Morrison", "AUSGOV"),
    ("Jair Bolsonaro", "BRAGOV"),
    ("Justin Trudeau", "CANGOV"),
    ("Xi Jinping", "CHNGOV"),
    ("Li Keqiang", "CHNGOV"),
    ("Emmanuel Macron", "FRAGOV"),
    ("Olaf Scholz", "DEUGOV"),
    ("Narendra Modi", "INDGOV"),
    ("Joko Widodo", "IDNGOV"),
    ("Mario Draghi", "ITAGOV"),
    ("Fumio Kishida", "JPNGOV"),
    ("Moon Jae-in", "KORGOV"),
    ("Andrés Manuel López Obrador", "MEXGOV"),
    ("Vladimir Putin", "RUSGOV"),
    ("Mikhail Mishustin", "RUSGOV"),
    ("Mohammed bin Salman", "SAUGOV"),
    ("Cyril Ramaphosa", "ZAFGOV"),
    ("Recep Tayyip Erdogan", "TURGOV"),
    ("Boris Johnson", "GBRGOV"),
    ("Joe Biden", "USAGOV"),
    ("Ursula von der Leyen", "IGOEUREEC"),
    ("Charles Michel", "IGOEUREEC"),
]


@pytest.mark.parametrize(("name", "expected"), LEADERS_2022, ids=[n for n, _ in LEADERS_2022])
def test_g20_and_p5_leaders_have_people_entries(name, expected):
    assert lexicon_codes(name, (PERSON,), date(2022, 3, 1)) == {expected}


def test_people_roles_do_not_overlap():
    for entries in load_dictionaries().lexicon.by_first.values():
        for entry in entries:
            if entry.kind != PERSON:
                continue
            roles = sorted(entry.roles, key=lambda r: r.start or date.min)
            for earlier, later in pairwise(roles):
                assert earlier.end is not None and later.start is not None, entry.name
                assert earlier.end <= later.start, (entry.name, earlier, later)


# ----- format errors -----


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """Copy the dictionaries to a scratch directory that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def append_line(path: Path, line: str) -> int:
    """Append a line to a data file and return its line number."""
    text = path.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text += "\n"
    text += line + "\n"
    path.write_text(text, encoding="utf-8")
    return len(text.splitlines())


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("countries.txt", "ZZZ | ZZ | Zedland | | Zedlander", "expected 7 fields"),
        ("organizations.txt", "IGOZZZ | Zed Union | extra", "expected 2 fields"),
        ("agents.txt", "ZZZ", "expected 2 fields"),
        ("cameo.txt", "5x   |  1.0 | Not a code", "bad CAMEO code"),
        ("cameo.txt", "099  |  1.0", "expected 3 fields"),
        ("verbs.txt", "999  | frobnicate +", "unknown CAMEO code 999"),
        ("control.txt", "040 -> 999", "unknown CAMEO code 999"),
        ("control.txt", "agree to things", "expected [family] or CODE -> CODE"),
        ("people_g20.txt", "    USAGOV  2021-13-01  -", "bad date"),
        ("people_g20.txt", "    USAGOV  2021-01-01", "expected CODE START END"),
    ],
    ids=[
        "countries-fields",
        "organizations-fields",
        "agents-fields",
        "cameo-code",
        "cameo-fields",
        "verbs-unknown-code",
        "control-unknown-code",
        "control-garbage",
        "people-date",
        "people-role-fields",
    ],
)
def test_malformed_line_names_file_and_line(data_copy, name, line, message):
    number = append_line(data_copy / name, line)
    with pytest.raises(DictionaryError) as error:
        load_dictionaries(data_copy)
    assert f"{name}:{number}" in str(error.value)
    assert message in str(error.value)


def test_control_family_without_fallback_is_an_error(data_copy):
    append_line(data_copy / "control.txt", "[extra] frobnicate\n040 -> 036")
    with pytest.raises(DictionaryError, match=r"control\.txt: family extra has no"):
        load_dictionaries(data_copy)


def test_copied_dictionaries_load_like_the_originals(data_copy):
    copy = load_dictionaries(data_copy)
    original = load_dictionaries()
    assert copy.version == original.version
    assert set(copy.cameo) == set(original.cameo)
    assert len(copy.lexicon) == len(original.lexicon)


def test_cameo_loader_reads_goldstein_weights(data_copy):
    path = data_copy / "cameo.txt"
    path.write_text("01 | 0.0 | Statement\n190 | -10.0 | Fight\n", encoding="utf-8")
    table = load_cameo(path)
    assert table["190"].goldstein == -10.0
    assert table["190"].quad_class == 4 and table["190"].root == "19"
    assert table["01"].quad_class == 1


# ----- content hash -----


def test_content_hash_is_the_dictionary_version(data_copy):
    assert content_hash(DATA_DIR) == load_dictionaries().version
    assert content_hash(data_copy) == content_hash(DATA_DIR)


@pytest.mark.parametrize("name", ["countries.txt", "verbs.txt", "people_conflicts.txt"])
def test_content_hash_changes_when_a_file_changes(data_copy, name):
    before = content_hash(data_copy)
    append_line(data_copy / name, "# a reviewer's note")
    after = content_hash(data_copy)
    assert after != before
    assert re.fullmatch(r"[0-9a-f]{16}", after)


def test_content_hash_changes_when_a_file_is_added(data_copy):
    before = content_hash(data_copy)
    (data_copy / "people_extra.txt").write_text("# nobody yet\n", encoding="utf-8")
    assert content_hash(data_copy) != before


def test_content_hash_ignores_non_dictionary_files(data_copy):
    before = content_hash(data_copy)
    (data_copy / "NOTES.md").write_text("not a dictionary\n", encoding="utf-8")
    assert content_hash(data_copy) == before


# ----- plurals -----


@pytest.mark.parametrize(
    ("phrase", "plural"),
    [
        ("soldier", "soldiers"),
        ("police officer", "police officers"),
        ("militia", "militias"),
        ("embassy", "embassies"),
        ("envoy", "envoys"),
        ("witness", "witnesses"),
        ("tax", "taxes"),
        ("church", "churches"),
        ("border guard", "border guards"),
        ("head of state", "head of states"),  # only the last word is inflected
    ],
)
def test_plural_forms(phrase, plural):
    assert plural_forms(phrase) == [phrase, plural]


def test_generated_agent_plurals_are_in_the_lexicon():
    lexicon = load_dictionaries().lexicon
    for phrase, agent in [("diplomats", "GOV"), ("militias", "UAF"), ("police officers", "COP")]:
        entries = lexicon.longest_at(list(phrase_tokens(phrase)), 0)
        assert agent in {e.code_on(None) for e in entries}, phrase


def test_a_source_slot_must_follow_a_preposition(data_copy):
    append_line(data_copy / "verbs.txt", "111 | face criticism $")
    with pytest.raises(DictionaryError, match=r"verbs\.txt:\d+: `\$` must follow a preposition"):
        load_patterns(data_copy / "verbs.txt", load_cameo(data_copy / "cameo.txt"))
