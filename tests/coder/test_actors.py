"""Actor coding: states, agents, organizations, metonyms, case rules and date-bounded roles."""

from __future__ import annotations

from datetime import date

import pytest

from coder.actors import ActorResolver, ArticleContext, find_mentions
from coder.dictionaries import load_dictionaries
from coder.nlp import load_model
from coder.pipeline import code_article


def actor_code(sentence: str, head: str, day: date | None = None) -> str | None:
    """Parse a sentence and code the noun phrase headed by the token `head`."""
    doc = load_model()(sentence)
    resolver = ActorResolver(doc[:], load_dictionaries().lexicon, ArticleContext(day=day))
    token = next(t for t in doc if t.text == head)
    actor = resolver.actor_of(token)
    return actor.code if actor else None


def mentions(sentence: str) -> list[tuple[str, str]]:
    """Return (text, undated code) of the dictionary phrases found in a sentence."""
    doc = load_model()(sentence)
    lexicon = load_dictionaries().lexicon
    return [
        (doc[m.start : m.end].text, m.entries[0].code_on(None)) for m in find_mentions(doc, lexicon)
    ]


@pytest.mark.parametrize(
    ("sentence", "head", "expected"),
    [
        ("Egyptian police arrested the man.", "police", "EGYCOP"),
        ("Turkish soldiers patrolled the border.", "soldiers", "TURMIL"),
        ("The Kremlin denied the report.", "Kremlin", "RUSGOV"),
        ("The White House rejected the plan.", "House", "USAGOV"),
        ("Russian Foreign Minister Sergei Lavrov denied the report.", "Lavrov", "RUSGOV"),
        ("UN peacekeepers patrolled the border.", "peacekeepers", "IGOUNOMIL"),
        ("U.N. peacekeepers patrolled the border.", "peacekeepers", "IGOUNOMIL"),
        ("The European Union rejected the plan.", "Union", "IGOEUREEC"),
        ("NATO rejected the plan.", "NATO", "IGOWSTNAT"),
        ("Islamic State claimed the attack.", "State", "IMGMUSISI"),
        ("The government rejected the plan.", "government", "---GOV"),
        ("Moscow rejected the plan.", "Moscow", "RUS"),
    ],
    ids=[
        "adjective+agent",
        "adjective+plural-agent",
        "metonym",
        "two-word-metonym",
        "person-with-title",
        "un-peacekeepers",
        "u.n.-peacekeepers",
        "igo",
        "nato",
        "islamic-state",
        "bare-agent",
        "capital",
    ],
)
def test_noun_phrase_codes(sentence, head, expected):
    assert actor_code(sentence, head, date(2021, 6, 1)) == expected


def test_agent_adjective_on_a_non_actor_noun_is_no_actor():
    assert actor_code("A military attack hit the town.", "attack") is None


@pytest.mark.parametrize(
    ("sentence", "head"),
    [
        ("Pro-Russian separatists seized the town.", "separatists"),
        ("pro-Russian separatists seized the town.", "separatists"),
    ],
    ids=["capitalised", "lower-case"],
)
def test_pro_russian_separatists_are_not_russian(sentence, head):
    code = actor_code(sentence, head)
    assert code is not None and code.endswith("REB")
    assert not code.startswith("RUS")


def test_pro_russian_rebels_do_not_code_a_russian_event():
    events = code_article("Pro-Russian rebels shelled Ukrainian villages.", published="2021-06-01")
    assert events
    assert not [e for e in events if e.source_code.startswith("RUS")]
    assert {e.target_code[:3] for e in events} == {"UKR"}


def test_lower_case_us_is_a_pronoun_not_the_united_states():
    assert mentions("They told us about the plan.") == []
    assert mentions("Let us hope for the best.") == []
    assert mentions("The US rejected the plan.") == [("US", "USA")]
    assert ("U.S.", "USA") in mentions("U.S. officials met on Monday.")


def test_us_pronoun_is_never_an_event_target():
    events = code_article(
        "The Iranian president told us that Iran would not negotiate with Israel.",
        published="2021-06-01",
    )
    assert events
    assert not [e for e in events if "USA" in (e.source_code[:3], e.target_code[:3])]


def test_lower_case_islamic_state_is_not_the_group():
    found = mentions("Officials in an Islamic state rejected the plan.")
    assert not [code for _text, code in found if code.startswith("IMG")]
    assert ("Islamic State", "IMGMUSISI") in mentions("Islamic State claimed the attack.")


def test_islamic_state_phrase_is_no_actor_in_an_event():
    events = code_article(
        "Turkey warned that an Islamic state in northern Syria would threaten Turkey.",
        published="2021-06-01",
    )
    assert not [e for e in events if "IMG" in (e.source_code[:3], e.target_code[:3])]


@pytest.mark.parametrize(
    ("name", "day", "expected"),
    [
        ("Joe Biden", date(2018, 6, 1), "USAELI"),
        ("Joe Biden", date(2021, 1, 19), "USAELI"),
        ("Joe Biden", date(2021, 1, 20), "USAGOV"),
        ("Joe Biden", date(2021, 12, 7), "USAGOV"),
        ("Joe Biden", date(2014, 3, 1), "USAGOV"),  # vice president
        ("Donald Trump", date(2019, 6, 1), "USAGOV"),
        ("Donald Trump", date(2022, 6, 1), "USAELI"),
        ("Donald Trump", date(2016, 6, 1), "USAELI"),
        ("Volodymyr Zelensky", date(2019, 5, 19), "UKRELI"),
        ("Volodymyr Zelensky", date(2019, 5, 20), "UKRGOV"),
        ("Volodymyr Zelensky", date(2022, 3, 1), "UKRGOV"),
        ("Olaf Scholz", date(2022, 3, 1), "DEUGOV"),
        ("Olaf Scholz", date(2026, 1, 1), "DEUELI"),
    ],
    ids=lambda value: value.isoformat() if isinstance(value, date) else str(value),
)
def test_person_role_depends_on_the_date(name, day, expected):
    assert actor_code(f"{name} criticized the plan.", name.split()[-1], day) == expected


@pytest.mark.parametrize(
    ("published", "expected"),
    [("2018-06-01", "USAELI"), ("2021-12-07", "USAGOV")],
)
def test_publication_date_sets_the_role_in_coded_events(published, expected):
    events = code_article("Joe Biden criticized Russia.", published=published)
    assert [(e.source_code, e.event_root_code, e.target_code) for e in events] == [
        (expected, "11", "RUS")
    ]


def test_surname_alone_codes_the_person():
    events = code_article("Zelensky criticized Russia.", published="2022-03-01")
    assert [(e.source_code, e.target_code) for e in events] == [("UKRGOV", "RUS")]


def test_he_refers_to_the_last_person_named():
    text = "Emmanuel Macron arrived in Berlin on Monday. He criticized Russia."
    events = code_article(text, published="2021-06-01")
    assert ("FRAGOV", "RUS") in {(e.source_code, e.target_code) for e in events}


def test_undated_person_is_named_for_the_latest_office():
    assert actor_code("Joe Biden criticized the plan.", "Biden", None) == "USAGOV"


def test_niger_delta_is_not_niger():
    assert actor_code("Troops were sent to the Niger Delta.", "Delta") != "NER"
