"""Tests for coder.text: HTML extraction, Unicode normalisation and page-chrome removal."""

from __future__ import annotations

from pathlib import Path

import pytest

from coder.text import (
    clean_text,
    decode_entities,
    html_to_text,
    is_chrome_line,
    looks_like_html,
    normalise_text,
    strip_tags,
)

SEEDS = Path(__file__).resolve().parents[2] / "seeds" / "articles"

BEFORE = "The president of Ruritania met the prime minister of Freedonia on Tuesday."
AFTER = "Both leaders agreed to resume trade talks next month, officials said."


def around(chrome: str) -> str:
    """Wrap a chrome snippet between two article paragraphs."""
    return f"{BEFORE}\n\n{chrome}\n\n{AFTER}"


# --- whole-line chrome -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "chrome",
    [
        # share buttons, with and without bullets and indentation
        "facebook",
        "Twitter",
        "google plus",
        "Google+",
        "Share",
        "Tweet",
        "WhatsApp",
        "Email",
        "Print",
        "  • facebook\n  • twitter",
        # comment widgets
        "Comment 0",
        "Comment\n0\nComments",
        "Post a Comment",
        "No comments:",
        "Post with no comments.",
        # rails and newsletters
        "Stay in touch",
        "To be updated with all the latest news, offers and special announcements.",
        "Latest Posts",
        "Don't Miss",
        "Don\u2019t Miss",
        "Related:",
        "Newsletter",
        "Live",
        "• Live\n    • Audio Only",
        "Opinion",
        "Advertisement",
        "(END)",
        "© 2024 Example News. All rights reserved.",
        # menu breadcrumbs
        "News > Russia",
        "Home » World » Europe",
        "World | Politics",
        # photo credits and captions
        "Photo: Reuters/Jane Doe",
        "Photo by John Smith/AFP via Getty Images",
        "Image credit: Ruritanian Press Agency",
        "[Photo credit: Ruritanian Press Agency]",
        "[리아노보스티 연합뉴스 자료사진. 재판매 및 DB 금지]",
        "Leaders shake hands in Geneva. | Photo: Twitter/@someone",
        "Smith (left) and Jones met in Geneva in June",
        # reporter e-mail signatures
        "jdoe@example-news.com",
        "By Jane Doe jdoe@example.com",
        # ads.txt records on their own
        "example.com, pub-1234567890123456, RESELLER, f08c47fec0942fa0",
        # teasers of other stories announced on the same line
        "Read more: Ruritania recalls its ambassador",
        "RELATED: Freedonia closes its border",
        # nothing but punctuation, numbers, bullets or emoji
        "!!! ---",
        "•",
        "\U0001f44d\U0001f44d",
        "2",
    ],
)
def test_chrome_line_is_dropped(chrome: str) -> None:
    assert clean_text(around(chrome)) == f"{BEFORE}\n\n{AFTER}"


@pytest.mark.parametrize(
    "line",
    [
        "Putin and Biden to hold virtual summit on Tuesday, Kremlin says",
        "Putin, Biden to hold talks via live link-up on Tuesday",
        "The president will share the stage with the prime minister on Friday.",
        "Opinion polls show the ruling party losing ground to the opposition.",
        "Comments by the foreign minister angered officials in Moscow.",
        "The ministry said photos of the meeting would be released on Friday.",
        "Protesters chanted 'Live free' outside the parliament (left wing groups said 5,000).",
        "MOSCOW/WASHINGTON, December 7. /TASS/. Russian President Vladimir Putin spoke.",
        'According to Peskov, this line was established "during previous [US] administrations."',
        "Media hysteria",
        "Published 3 December 2021",
        "He wrote to press@ministry.example.org to demand an apology from the embassy.",
    ],
)
def test_article_line_that_resembles_chrome_stays(line: str) -> None:
    assert clean_text(around(line)) == f"{BEFORE}\n\n{line}\n\n{AFTER}"
    assert not is_chrome_line(line)


# --- chrome cut out of a line that stays -------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("• The minister resigned on Monday.", "The minister resigned on Monday."),
        ("▶ The minister resigned on Monday.", "The minister resigned on Monday."),
        ("The minister resigned on Monday (Photo: Reuters).", "The minister resigned on Monday."),
        (
            "Officials met in Geneva [Photo credit: Jane Doe] on Tuesday.",
            "Officials met in Geneva on Tuesday.",
        ),
        (
            ", pub-1075295645606918, DIRECT, f08c47fec0942fa0 XYZ: Leaders meet in Geneva",
            "XYZ: Leaders meet in Geneva",
        ),
        (
            "google.com, pub-1234567890123456, DIRECT, f08c47fec0942fa0 Leaders meet in Geneva",
            "Leaders meet in Geneva",
        ),
    ],
)
def test_inline_chrome_is_cut(line: str, expected: str) -> None:
    assert clean_text(around(line)) == f"{BEFORE}\n\n{expected}\n\n{AFTER}"


# --- rules that look at neighbouring lines -----------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(
            f"6.9 C\nNew York\nSunday, February 5, 2023\n\n{BEFORE}",
            BEFORE,
            id="weather-and-date-banner",
        ),
        pytest.param(
            f"Rome\n-3 °C\nMon, Jan 9, 2023\n\n{BEFORE}",
            BEFORE,
            id="banner-place-first",
        ),
        pytest.param(
            f"Leaders meet in Geneva\n\n{BEFORE}\n\nLeaders meet in Geneva",
            f"Leaders meet in Geneva\n\n{BEFORE}",
            id="repeated-headline",
        ),
        pytest.param(
            f"TKS: Leaders meet in Geneva\n\nLeaders meet in Geneva\n\n{BEFORE}",
            f"TKS: Leaders meet in Geneva\n\n{BEFORE}",
            id="repeated-headline-behind-site-tag",
        ),
        pytest.param(
            "• Leaders shake hands in Geneva.\n\n"
            f"Leaders shake hands in Geneva. | Photo: Twitter/@someone\n\n{BEFORE}",
            BEFORE,
            id="caption-shown-twice",
        ),
        pytest.param(
            f"{BEFORE}\n\nRELATED:\n\nRuritania Suggests Talks On Border Dispute\n\n{AFTER}",
            f"{BEFORE}\n\n{AFTER}",
            id="related-headline",
        ),
        pytest.param(
            f"{BEFORE}\n\nRelated:\n\n{AFTER}",
            f"{BEFORE}\n\n{AFTER}",
            id="related-then-real-sentence",
        ),
        pytest.param(
            f"Latest Posts\n\n{BEFORE}\n\nLatest Posts\n\nDon't Miss",
            BEFORE,
            id="rail-twice",
        ),
    ],
)
def test_context_rules(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_date_line_outside_a_banner_stays() -> None:
    raw = f"Leaders meet in Geneva\nDecember 7, 2021\n\n{BEFORE}"
    assert clean_text(raw) == raw


def test_paragraph_structure_is_kept() -> None:
    raw = f"Headline of the story\n{BEFORE}\n\n\n\n{AFTER}\nShare\n"
    assert clean_text(raw) == f"Headline of the story\n{BEFORE}\n\n{AFTER}"


# --- Unicode and control characters ------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("Cafe\u0301 owners protested.", "Café owners protested.", id="nfc"),
        pytest.param("The\x00 minister\x07 resigned.", "The minister resigned.", id="nul-bel"),
        pytest.param("Talks\tended\x1b early.", "Talks ended early.", id="tab-esc"),
        pytest.param("One.\r\nTwo.\rThree.", "One.\nTwo.\nThree.", id="crlf"),
        pytest.param("Talks\u00a0ended\u2009early.", "Talks ended early.", id="odd-spaces"),
        pytest.param("Kre\u200bmlin\u00ad said\ufeff.", "Kremlin said.", id="zero-width"),
        pytest.param("\ufeffThe  talks   ended. ", "The talks ended.", id="bom-and-runs"),
        pytest.param("\u201cYes,\u201d he said.", "\u201cYes,\u201d he said.", id="curly-quotes"),
        pytest.param("One.\u2028Two.", "One.\nTwo.", id="line-separator"),
    ],
)
def test_normalise_text(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("AT&amp;T and Procter &amp; Gamble", "AT&T and Procter & Gamble"),
        ("It&#8217;s over", "It\u2019s over"),
        ("R&paragraph stays; so does AT&T", "R&paragraph stays; so does AT&T"),
    ],
)
def test_decode_entities(raw: str, expected: str) -> None:
    assert decode_entities(raw) == expected


# --- HTML ----------------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html><head><title>Leaders meet</title><script>var tracker = "nav-script";</script></head>
<body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World section menu</a></li></ul></nav>
<header><div class="share">Share on Facebook</div></header>
<article>
<h1>Leaders meet in Geneva</h1>
<p>The president of Ruritania met the prime minister of Freedonia in Geneva on Tuesday.</p>
<p>Both leaders agreed to resume trade talks next month, according to a joint statement.</p>
</article>
<footer><p>Copyright 2024 Example News. All rights reserved.</p>
<a href="/privacy">Privacy policy</a></footer>
</body></html>"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (PAGE, True),
        ("<html><body><p>Hi</p></body></html>", True),
        ("\ufeff<!doctype html><title>x</title>", True),
        ("<p>One <b>bold</b> claim.</p>", True),
        (BEFORE, False),
        ("Officials said a < b and c > d in the <Putin> era.", False),
        ("He wrote <b>bold</b> once.", False),
    ],
)
def test_looks_like_html(text: str, expected: bool) -> None:
    assert looks_like_html(text) is expected


def test_html_page_body_kept_and_chrome_dropped() -> None:
    cleaned = clean_text(PAGE)
    assert "The president of Ruritania met the prime minister of Freedonia" in cleaned
    assert "Both leaders agreed to resume trade talks next month" in cleaned
    for chrome in ("World section menu", "Share on Facebook", "Privacy policy", "nav-script"):
        assert chrome not in cleaned
    # One paragraph per block element.
    assert "\n\n" in cleaned


def test_tiny_html_fragment_falls_back_to_tag_stripping() -> None:
    assert looks_like_html("<p>Talks <b>ended</b>.</p>")
    # Too small for trafilatura, which returns None for it.
    assert clean_text("<p>Talks <b>ended</b>.</p>") == "Talks ended."


def test_html_to_text_uses_tag_stripping_when_trafilatura_gives_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("trafilatura.extract", lambda *args, **kwargs: None)
    fragment = "<nav>Home</nav><p>The minister <b>resigned</b>.</p><p>Talks &amp; protests.</p>"
    assert html_to_text(fragment) == "The minister resigned.\n\nTalks & protests."


def test_strip_tags_skips_page_furniture() -> None:
    markup = (
        "<nav>Home | World</nav><script>var x = 1;</script><div>First line<br>second line</div>"
        "<figure><img src='a.jpg'/><figcaption>Leaders in Geneva</figcaption></figure>"
        "<p>Next paragraph.</p><footer>Contact us</footer>"
    )
    assert strip_tags(markup) == "First line\nsecond line\n\nNext paragraph."


# --- the seed articles -------------------------------------------------------------------------

SEED_CASES = [
    (
        "000_c13aaa30beb688a1.txt",
        [
            "Newsletter",
            "Biden (left) and Putin met in Geneva, Switzerland in June",
            "[리아노보스티 연합뉴스 자료사진. 재판매 및 DB 금지]",
            "cjyou@yna.co.kr",
        ],
        [
            "US President Joe Biden and Russian President Vladimir Putin have agreed to hold "
            "talks via video call on the 7th",
            "Kremlin \u201cPutin-Biden 7-day video call\u201d\u2026 Ukraine, etc. will be "
            "discussed.",
        ],
    ),
    (
        "001_928554ed3b74d55b.txt",
        [
            "Live",
            "Audio Only",
            "google plus",
            "facebook",
            "twitter",
            "News > Russia",
            "Meeting between Russia's President and his U.S counterpart.",
            "Opinion",
            "RELATED:",
            "Putin Suggests In-Depth Dialogues on NATO\u2019s Eastward Expansion",
            "Comment",
            "0",
            "Comments",
            "Post with no comments.",
        ],
        [
            "Putin and Biden Discuss Geneva Agreements on Ukraine\u2019s Conflict",
            "Russian President Vladimir Putin and his U.S counterpart Joe Biden agreed to meet "
            "via videoconference.",
            "Putin's aide similarly asserted,",
        ],
    ),
    (
        "002_47bf9b4f8d7aa974.txt",
        [
            "6.9 C",
            "New York",
            "Sunday, February 5, 2023",
            "Latest Posts",
            "Don't Miss",
            "Stay in touch",
            "To be updated with all the latest news, offers and special announcements.",
        ],
        [
            "Putin and Biden to hold virtual summit on Tuesday, Kremlin says",
            "Secretary of State Antony Blinken warned this week that Washington and its allies "
            "would hit Moscow with heavy economic sanctions if it decides to attack Ukraine.",
        ],
    ),
    (
        "003_c55590660c312243.txt",
        [],
        [
            "Putin, Biden to hold talks via live link-up on Tuesday",
            "Media hysteria",
            '"I don\u2019t accept anybody\u2019s red lines," Biden said.',
            "MOSCOW/WASHINGTON, December 7. /TASS/. Russian President Vladimir Putin and his US "
            "counterpart Joe Biden will hold bilateral talks in a video conference format on "
            "Tuesday.",
        ],
    ),
    (
        "004_907588203fbe8425.txt",
        [
            "Kremlin Views Putin-Biden Video Summit Positively",
            "No comments:",
            "Post a Comment",
        ],
        [
            "TKS: Kremlin Views Putin-Biden Video Summit Positively",
            "The Kremlin positively assessed the video format in which the Russia-USA summit "
            "took place.",
            "The videoconference between Putin and Biden lasted two hours.",
        ],
    ),
]


@pytest.mark.parametrize(
    ("name", "chrome_lines", "sentences"), SEED_CASES, ids=[case[0] for case in SEED_CASES]
)
def test_seed_article(name: str, chrome_lines: list[str], sentences: list[str]) -> None:
    cleaned = clean_text((SEEDS / name).read_text(encoding="utf-8"))
    lines = cleaned.split("\n")
    for chrome in chrome_lines:
        assert chrome not in lines
    for sentence in sentences:
        assert sentence in cleaned
    assert "pub-" not in cleaned
    assert "\u00a0" not in cleaned
    assert "•" not in cleaned
    assert not any(is_chrome_line(line) for line in lines if line)
    # Cleaning is idempotent: a second pass finds nothing more to drop.
    assert clean_text(cleaned) == cleaned


def test_seed_cases_cover_every_seed_file() -> None:
    assert sorted(path.name for path in SEEDS.glob("*.txt")) == [case[0] for case in SEED_CASES]
