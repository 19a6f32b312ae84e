"""Loading PETRARCH/TABARI-format actor and agent dictionaries."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest

from coder.lexicon import AGENT, COUNTRY, ORG, PERSON, Entry, Lexicon
from coder.nlp import phrase_tokens
from coder.petrarch import (
    DictionaryFormatError,
    _split_tokens,
    load_petrarch_lexicon,
    parse_actor_file,
    parse_agent_file,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
PETRARCH = SHARED / "dictionaries" / "petrarch2"
PHOENIX_ACTORS = [
    PETRARCH / name
    for name in (
        "Phoenix.Countries.actors.txt",
        "Phoenix.International.actors.txt",
        "Phoenix.MilNonState.actors.txt",
    )
]
PHOENIX_AGENTS = PETRARCH / "Phoenix.agents.txt"

# Invented entries in the PETRARCH actor format (Freedonia and friends are fictional).
ACTORS = """\
<!-- INVENTED TEST ACTORS -->
<!-- a comment
# spanning several lines -->
# a line comment
FREEDONIA_  [FRD]
+FREEDONIAN_
+REPUBLIC_OF_FREEDONIA  # trailing comment
FREEDONIAN_ARMY [FRDMIL]  ; a TABARI-style comment

RUFUS_T._FIREFLY_  # a person with a career
+FIREFLY_
+PRESIDENT_FIREFLY
	[FRDELI 19300101-331116]
	[FRDGOV 331117-351231]
	[FRDELI]
MARY_MARVEL_
	[KNDGOV >150301]
	[KNDELI]
AMBASSADOR_TRENTINO_  [SYLGOV]
	[SYLELI 300101-301231]
	[SYLREB 310101-311231]
CHICOLINI_	[FRDREB 900101-901231][FRDGOV >910101]	# two codes on one line
PINKY_
	[FRD < 960315]
	[FRDGOV 19960315 - 19980704]
IGOR_THE_FIRST
IGOR_THE_SECOND
+IGOR
	[SYLGOV]
ST._ELSEWHERE_ [ELW]
MYSTERY_GUILD [###]
IT_ [IGOITU]
<! -- a markup line -->
"""

# Invented entries in the PETRARCH agent format.
AGENTS = """\
<!-- INVENTED TEST AGENTS -->
!CREW! = HAND, HANDS, MATE, MATES
!OFFICE! = BUREAU, BUREAUS

LIGHTHOUSE_KEEPER [~LHK]  # regular plural
DECK!CREW! [~SEA]
FERRY [~FRY]
PEACE_ENVOY [~ENV]
BOX [~BXX]
MOOSE {} [~ANM]
GOOSE {GEESE} [~BRD]
WEATHER_!OFFICE! [~MET]
HARBOUR_WATCH [ NGO~]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    """Write a fixture file and return its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def entries_for(entries: list[Entry], text: str) -> list[Entry]:
    """Return the entries whose phrase is `text` tokenized."""
    tokens = phrase_tokens(text)
    return [entry for entry in entries if entry.phrase == tokens]


def only(entries: list[Entry], text: str) -> Entry:
    """Return the single entry for `text`, whatever spellings produced it."""
    found = entries_for(entries, text)
    assert found, f"no entry for {text!r}"
    assert len({(e.kind, e.roles, e.name) for e in found}) == 1, found
    return found[0]


@pytest.fixture
def actors(tmp_path: Path) -> list[Entry]:
    return parse_actor_file(write(tmp_path, "test.actors.txt", ACTORS))


@pytest.fixture
def agents(tmp_path: Path) -> list[Entry]:
    return parse_agent_file(write(tmp_path, "test.agents.txt", AGENTS))


# ---------------------------------------------------------------- actor files


def test_synonyms_share_the_primary_code_and_name(actors):
    for text in ("Freedonia", "Freedonian", "Republic of Freedonia"):
        entry = only(actors, text)
        assert (entry.kind, entry.code_on(None), entry.name) == (COUNTRY, "FRD", "Freedonia")


def test_kinds_follow_the_codes(actors):
    assert only(actors, "Freedonian Army").kind == ORG
    assert only(actors, "Mystery Guild").kind == ORG
    assert only(actors, "Rufus T. Firefly").kind == PERSON
    assert only(actors, "Mary Marvel").kind == PERSON


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (date(1920, 5, 1), "FRDELI"),  # before any dated role: the undated default
        (date(1932, 1, 1), "FRDELI"),
        (date(1933, 11, 16), "FRDELI"),  # a range includes its last day
        (date(1933, 11, 17), "FRDGOV"),
        (date(1935, 12, 31), "FRDGOV"),
        (date(1936, 1, 1), "FRDELI"),  # after: the default again
    ],
)
def test_date_ranges_and_the_default(actors, day, code):
    for text in ("Rufus T. Firefly", "Firefly", "President Firefly"):
        assert only(actors, text).code_on(day) == code


def test_government_from_a_date_and_elite_before(actors):
    marvel = only(actors, "Mary Marvel")
    assert marvel.code_on(date(2015, 2, 28)) == "KNDELI"
    assert marvel.code_on(date(2015, 3, 1)) == "KNDGOV"  # 15 -> 2015
    assert marvel.code_on(date(2021, 12, 7)) == "KNDGOV"
    assert marvel.code_on(None) == "KNDGOV"


def test_two_digit_years_switch_century_after_30(actors):
    trentino = only(actors, "Ambassador Trentino")
    spans = {role.code: (role.start, role.end) for role in trentino.roles}
    assert spans["SYLELI"] == (date(2030, 1, 1), date(2031, 1, 1))
    assert spans["SYLREB"] == (date(1931, 1, 1), date(1932, 1, 1))
    assert trentino.code_on(date(2021, 1, 1)) == "SYLGOV"  # the code on the phrase line
    assert trentino.code_on(date(2030, 6, 1)) == "SYLELI"


def test_several_codes_on_the_phrase_line(actors):
    chicolini = only(actors, "Chicolini")
    assert chicolini.code_on(date(1990, 6, 1)) == "FRDREB"
    assert chicolini.code_on(date(1995, 6, 1)) == "FRDGOV"


def test_before_and_after_with_spaces(actors):
    pinky = only(actors, "Pinky")
    assert pinky.code_on(date(1996, 3, 14)) == "FRD"
    assert pinky.code_on(date(1998, 7, 4)) == "FRDGOV"
    assert pinky.code_on(date(1998, 7, 5)) == "FRDGOV"  # nearest role: none covers it


def test_uncoded_phrases_share_the_next_codes(actors):
    for text in ("Igor the First", "Igor the Second", "Igor"):
        entry = only(actors, text)
        assert (entry.code_on(None), entry.name) == ("SYLGOV", "Igor The First")


def test_hash_inside_a_code_is_no_comment(actors):
    assert only(actors, "Mystery Guild").code_on(None) == "###"


def test_phrases_tokenize_as_written_and_in_title_case(actors):
    written, titled = phrase_tokens("ST. ELSEWHERE"), phrase_tokens("St. Elsewhere")
    assert written != titled  # the model splits "ST." but keeps "St." whole
    phrases = {entry.phrase for entry in actors if entry.name == "St. Elsewhere"}
    assert phrases == {written, titled}


def test_lone_stop_words_must_match_in_capitals(actors):
    entry = only(actors, "IT")
    assert entry.case_sensitive
    assert entry.written == ("IT",)
    assert not only(actors, "Freedonia").case_sensitive


def test_no_phrase_keeps_underscores_or_capitals(actors):
    for entry in actors:
        assert entry.phrase
        assert all("_" not in token and token == token.lower() for token in entry.phrase)


def test_malformed_actor_lines_are_skipped_and_counted(tmp_path: Path, caplog):
    text = (
        "+ORPHAN_SYNONYM\n"
        "GOOD_ACTOR [GDA]\n"
        "BROKEN_[CODE\n"
        "BAD_DATES\n"  # no usable code: reported on its own line
        "\t[XYZ 991399]\n"
        "\t[XYZ 20100101-20090101]\n"
    )
    with caplog.at_level(logging.WARNING, logger="coder.petrarch"):
        entries = parse_actor_file(write(tmp_path, "bad.actors.txt", text))
    assert [entry.name for entry in entries] == ["Good Actor"]
    assert [number for number, _ in entries.skipped] == [1, 3, 4, 5, 6]
    assert "skipped 5 malformed" in caplog.text


# ---------------------------------------------------------------- agent files


def agent_codes(agents: list[Entry]) -> dict[str, str]:
    """Map each agent phrase (space-joined) to its code."""
    assert all(entry.kind == AGENT and len(entry.roles) == 1 for entry in agents)
    return {" ".join(entry.phrase): entry.roles[0].code for entry in agents}


def test_agents_with_regular_plurals(agents):
    codes = agent_codes(agents)
    assert codes["lighthouse keeper"] == codes["lighthouse keepers"] == "LHK"
    assert codes["ferry"] == codes["ferries"] == "FRY"
    assert codes["peace envoy"] == codes["peace envoys"] == "ENV"
    assert codes["box"] == codes["boxes"] == "BXX"


def test_given_plurals_replace_the_regular_ones(agents):
    codes = agent_codes(agents)
    assert codes["goose"] == codes["geese"] == "BRD"
    assert "gooses" not in codes
    assert codes["moose"] == "ANM"
    assert "mooses" not in codes


def test_substitution_sets_expand_without_extra_plurals(agents):
    codes = agent_codes(agents)
    for word in ("deckhand", "deckhands", "deckmate", "deckmates"):
        assert codes[word] == "SEA"
    assert "deckhandss" not in codes
    assert codes["weather bureau"] == codes["weather bureaus"] == "MET"
    assert len([phrase for phrase in codes if phrase.startswith("weather")]) == 2


def test_prefix_agent_codes_lose_the_tilde(agents):
    codes = agent_codes(agents)
    assert codes["harbour watch"] == codes["harbour watches"] == "NGO"
    assert only(agents, "harbour watches").name == "Harbour Watch"


def test_malformed_agent_lines_are_skipped(tmp_path: Path):
    text = "!CREW! = HAND, HANDS\nNO_CODE_HERE\nDOOR!KEEPER! [~DOR]\nPORTER [~POR}\nCOOK [~CK]\n"
    entries = parse_agent_file(write(tmp_path, "bad.agents.txt", text))
    assert [number for number, _ in entries.skipped] == [2, 3, 4, 5]
    assert entries == []


# ---------------------------------------------------------------- errors and the lexicon


def test_a_missing_file_is_a_format_error(tmp_path: Path):
    missing = tmp_path / "nowhere.actors.txt"
    with pytest.raises(DictionaryFormatError, match=r"nowhere\.actors\.txt: cannot read") as caught:
        parse_actor_file(missing)
    assert isinstance(caught.value, ValueError)
    assert caught.value.path == missing


def test_undecodable_bytes_report_the_line(tmp_path: Path):
    path = tmp_path / "latin1.agents.txt"
    path.write_bytes(b"# header\nPOLICE [~COP]\nGENDARMERIE_DE_S\xe9CURIT\xe9 [~COP]\n")
    with pytest.raises(DictionaryFormatError, match=r"latin1\.agents\.txt:3: not UTF-8") as caught:
        parse_agent_file(path)
    assert caught.value.line == 3


def test_load_lexicon_indexes_actors_and_agents(tmp_path: Path):
    lexicon = load_petrarch_lexicon(
        [write(tmp_path, "a.actors.txt", ACTORS)], [write(tmp_path, "a.agents.txt", AGENTS)]
    )
    assert isinstance(lexicon, Lexicon)
    tokens = list(phrase_tokens("the Republic of Freedonia sent lighthouse keepers"))
    assert lexicon.longest_at(tokens, 1)[0].code_on(None) == "FRD"
    assert lexicon.longest_at(tokens, 5)[0].code_on(None) == "LHK"


def test_split_tokens_refuses_tokens_that_do_not_rejoin():
    assert _split_tokens(["u.s.", "army"], ("u.s.", "army")) == [("u.s.",), ("army",)]
    assert _split_tokens(["st.", "x"], ("st", ".", "x")) == [("st", "."), ("x",)]
    assert _split_tokens(["abc"], ("ab", "d")) is None


# ---------------------------------------------------------------- the real Phoenix files


@pytest.fixture(scope="module")
def phoenix() -> Lexicon:
    if not PETRARCH.is_dir():
        pytest.skip(f"PETRARCH dictionaries not found in {PETRARCH}")
    return load_petrarch_lexicon(PHOENIX_ACTORS, [PHOENIX_AGENTS])


def lookup(lexicon: Lexicon, text: str) -> list[Entry]:
    """Return the lexicon's entries for exactly the phrase `text`."""
    tokens = phrase_tokens(text)
    found = lexicon.longest_at(tokens, 0)
    assert found and found[0].phrase == tokens, f"{text!r} not in the lexicon"
    return found


def test_phoenix_is_large(phoenix):
    assert len(phoenix) > 30_000
    assert len(parse_actor_file(PHOENIX_ACTORS[0])) > 10_000


def test_phoenix_putin(phoenix):
    for text in ("Vladimir Putin", "Putin", "President Vladimir Putin"):
        (putin,) = lookup(phoenix, text)
        assert putin.kind == PERSON
        assert putin.code_on(date(2021, 12, 7)) == "RUSGOV"
        assert putin.code_on(date(1990, 1, 1)) == "RUSELI"


def test_phoenix_biden(phoenix):
    # The 2014 file has him in government from the 2009 vice-presidency on with no end date
    # (so still USAGOV in 2018), elite in an earlier range, and elite by default otherwise.
    (biden,) = lookup(phoenix, "Joe Biden")
    assert biden.code_on(date(2021, 12, 7)) == "USAGOV"
    assert biden.code_on(date(2018, 1, 1)) == "USAGOV"
    assert biden.code_on(date(2005, 1, 1)) == "USAELI"
    assert biden.code_on(date(1999, 1, 1)) == "USAELI"


def test_phoenix_nato_and_countries(phoenix):
    (nato,) = lookup(phoenix, "NATO")
    assert (nato.kind, nato.code_on(None)) == (ORG, "IGOWSTNAT")
    assert [(e.kind, e.code_on(None)) for e in lookup(phoenix, "Russia")] == [(COUNTRY, "RUS")]
    assert lookup(phoenix, "US")[0].case_sensitive


@pytest.mark.parametrize("text", ["police", "policemen", "police officers"])
def test_phoenix_police_agents(phoenix, text):
    (police,) = lookup(phoenix, text)
    assert (police.kind, police.code_on(None)) == (AGENT, "COP")


def test_phoenix_files_parse_nearly_clean():
    if not PETRARCH.is_dir():
        pytest.skip(f"PETRARCH dictionaries not found in {PETRARCH}")
    for path in PHOENIX_ACTORS:
        assert len(parse_actor_file(path).skipped) < 10, path
    agents = parse_agent_file(PHOENIX_AGENTS)
    assert len(agents) > 2_000
    assert len(agents.skipped) < 10


def test_validation_dictionaries():
    if not PETRARCH.is_dir():
        pytest.skip(f"PETRARCH dictionaries not found in {PETRARCH}")
    actors = parse_actor_file(PETRARCH / "PETR.Validate.actors.txt")
    assert actors.skipped == []
    gollum = only(actors, "Smeagol")
    assert gollum.code_on(date(1994, 1, 1)) == "HOB"
    assert gollum.code_on(date(1997, 1, 1)) == "HOBGOV"
    assert gollum.code_on(date(2001, 1, 1)) == "HOBREB"
    agents = agent_codes(parse_agent_file(PETRARCH / "PETR.Validate.agents.txt"))
    assert agents["congressmen"] == "LEG"
    assert agents["attorneys general"] == "GOV"
