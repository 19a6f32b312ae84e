"""Deduplication modes: none, story, day and ±1-day clusters, on made-up records and the seeds."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from coder.dedup import merge, sort_key
from coder.pipeline import code_article
from tests.support import record

SEEDS = Path(__file__).resolve().parents[2] / "seeds" / "articles.jsonl"


def mention(n: int, article: str, day: str, source="RUSGOV", target="USAGOV", code="040",
            outlet="AP", published=None, precision="day") -> dict:  # fmt: skip
    """Return one coded mention as the service would join it with its article."""
    return record(
        n, article_id=article, date=day, date_precision=precision, source_code=source,
        target_code=target, event_code=code, event_base_code=code[:3], event_root_code=code[:2],
        source=outlet, url=f"http://{outlet.lower()}/{article}", published_at=published or day,
    )  # fmt: skip


def keys(rows) -> list[tuple]:
    return [(r["source_code"], r["event_code"], r["target_code"], r["date"], r["num_mentions"],
             r["num_articles"]) for r in rows]  # fmt: skip


def test_none_keeps_every_mention_with_counts_of_one():
    rows = list(merge([mention(1, "a", "2021-12-07"), mention(2, "a", "2021-12-07")], "none"))
    assert [(r["num_mentions"], r["article_ids"]) for r in rows] == [(1, ["a"]), (1, ["a"])]


def test_story_keeps_one_event_per_article():
    mentions = [mention(1, "a", "2021-12-07"), mention(2, "a", "2021-12-07"),
                mention(3, "b", "2021-12-07"), mention(4, "a", "2021-12-08")]  # fmt: skip
    assert sorted(keys(merge(mentions, "story"))) == [
        ("RUSGOV", "040", "USAGOV", "2021-12-07", 1, 1),
        ("RUSGOV", "040", "USAGOV", "2021-12-07", 2, 1),
        ("RUSGOV", "040", "USAGOV", "2021-12-08", 1, 1),
    ]


def test_day_keeps_one_event_per_day_across_articles():
    mentions = [mention(1, "a", "2021-12-07", outlet="AP"),
                mention(2, "b", "2021-12-07", outlet="TASS"),
                mention(3, "c", "2021-12-07", outlet="AP", code="042"),
                mention(4, "d", "2021-12-08", outlet="AP")]  # fmt: skip
    rows = sorted(merge(mentions, "day"), key=lambda r: (r["date"], r["event_code"]))
    assert keys(rows) == [
        ("RUSGOV", "040", "USAGOV", "2021-12-07", 2, 2),
        ("RUSGOV", "042", "USAGOV", "2021-12-07", 1, 1),
        ("RUSGOV", "040", "USAGOV", "2021-12-08", 1, 1),
    ]
    assert rows[0]["num_sources"] == 2 and rows[0]["sources"] == ["AP", "TASS"]


def test_a_cluster_joins_both_directions_and_actor_forms_within_a_day_either_side():
    mentions = [
        mention(1, "a", "2021-12-06", published="2021-12-06T09:00"),
        mention(2, "b", "2021-12-07", source="USA", target="RUS", code="041", outlet="TASS"),
        mention(3, "c", "2021-12-08", source="USAGOV", target="RUSGOV", outlet="Reuters"),
        mention(4, "d", "2021-12-09", outlet="AP"),  # three days after the first: a new cluster
        mention(5, "e", "2021-12-07", code="112"),  # another root: another event
    ]
    rows = sorted(merge(mentions, "cluster"), key=lambda r: (r["event_root_code"], r["date"]))
    assert [(r["event_root_code"], r["date"], r["num_articles"]) for r in rows] == [
        ("04", "2021-12-06", 3), ("04", "2021-12-09", 1), ("11", "2021-12-07", 1),
    ]  # fmt: skip
    call = rows[0]
    assert call["mention_ids"] == ["e00001", "e00002", "e00003"]
    assert call["sentence_ids"] == ["a_2", "b_3", "c_4"]
    assert (call["first_mention"], call["last_mention"]) == ("2021-12-06T09:00", "2021-12-08")
    assert call["urls"] == ["http://ap/a", "http://tass/b", "http://reuters/c"]
    assert call["event_id"] == "e00001"  # the earliest mention stands for the event


def test_a_month_only_clusters_with_the_same_month():
    mentions = [mention(1, "a", "2021-06", precision="month"),
                mention(2, "b", "2021-06", precision="month"),
                mention(3, "c", "2021-06-16")]  # fmt: skip
    assert sorted((r["date"], r["num_articles"]) for r in merge(mentions, "cluster")) == [
        ("2021-06", 2), ("2021-06-16", 1)
    ]


@pytest.mark.parametrize("mode", ["story", "day", "cluster"])
def test_streaming_over_sorted_records_gives_the_same_rows(mode):
    mentions = [mention(n, "abc"[n % 3], f"2021-12-{n % 5 + 1:02d}", code=("040", "112")[n % 2])
                for n in range(30)]  # fmt: skip
    presorted = iter(sorted(mentions, key=sort_key(mode)))
    assert list(merge(presorted, mode, presorted=True)) == list(merge(mentions, mode))


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="unknown deduplication mode"):
        list(merge([], "weekly"))


def seed_mentions() -> list[dict]:
    """Code the five seed articles, each from its own outlet."""
    mentions = []
    for line in SEEDS.read_text(encoding="utf-8").splitlines():
        article = json.loads(line)
        for event in code_article(article["text"], published=article["published_at"],
                                  article_id=article["id"]):  # fmt: skip
            mentions.append({**event.to_dict(), "source": f"outlet {article['id']}",
                             "published_at": article["published_at"]})  # fmt: skip
    return mentions


def test_the_seed_outlets_reporting_the_call_cluster_into_one_event():
    mentions = seed_mentions()
    rows = list(merge(mentions, "cluster"))
    # The merge log names every mention exactly once.
    assert sorted(i for r in rows for i in r["mention_ids"]) == sorted(
        m["event_id"] for m in mentions
    )

    def is_call(row: dict) -> bool:
        roots = {row["source_code"][:3], row["target_code"][:3]}
        return roots == {"RUS", "USA"} and row["event_root_code"] == "04"

    def near_the_call(row: dict) -> bool:
        return row["date_precision"] == "day" and abs(
            (date.fromisoformat(row["date"]) - date(2021, 12, 7)).days
        ) <= 1

    calls = [r for r in rows if is_call(r) and near_the_call(r)]
    reporting = {m["article_id"] for m in mentions if is_call(m) and near_the_call(m)}
    assert len(calls) == 1, calls
    assert set(calls[0]["article_ids"]) == reporting and len(reporting) >= 2
