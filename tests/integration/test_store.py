"""The store on a real SQLite file under tmp_path: migrations, ownership, history, privacy, refusals."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import bot.store as store_module
from bot.store import Store
from scoring.models import Assessment, NextStep, SignalHit, Tier, Value

REP, OTHER = 11, 22


def assessment(
    customer: str | None = "Kessler GmbH",
    key: str | None = "kessler",
    tier: str = "B",
    relationship: str = "kunde",
    flags: list[str] | None = None,
) -> Assessment:
    return Assessment(
        relationship=relationship,
        confidence=0.7,  # type: ignore[arg-type]
        signals=[SignalHit(id="k_loesung", polarity="kunde", weight=0.5, start=0, end=4, quote="will")],
        value=Value(
            level="mittel",
            signals=[SignalHit(id="v_potenzial", polarity="value", weight=0.5, start=5, end=9, quote="mehr")],
        ),
        tier=Tier(name=tier, label="x", time_investment="y"),  # type: ignore[arg-type]
        next_step=NextStep(action="anrufen"),
        customer=customer,
        customer_key=key,
        flags=flags or [],
    )


class Clock:
    """A settable clock, so a test can move to tomorrow without waiting."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 23, 59, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'sub' / 'kundenfokus.db'}"


@pytest.fixture
async def store(url: str) -> AsyncIterator[Store]:
    async with Store(url) as s:
        yield s


async def test_migrations_run_once_and_new_steps_apply_on_the_next_start(url: str, monkeypatch) -> None:  # noqa: ANN001
    async with Store(url) as s:
        assert await s.schema_version() == len(store_module.MIGRATIONS) == 1
        await s.record_assessment(REP, 1, assessment(), None)
    async with Store(url) as s:  # reopening applies nothing twice and keeps the data
        assert await s.schema_version() == 1
        assert await s.count_assessments(REP) == 1
    steps = [*store_module.MIGRATIONS, ["CREATE INDEX ix_assessments_feedback ON assessments (feedback)"]]
    monkeypatch.setattr(store_module, "MIGRATIONS", steps)
    async with Store(url) as s:
        assert await s.schema_version() == 2
        assert await s.count_assessments(REP) == 1


async def test_record_keeps_the_structured_result_and_never_an_adverse_event_note(store: Store) -> None:
    kept = await store.record_assessment(REP, 5, assessment(), "Kessler will mehr")
    dropped = await store.record_assessment(REP, 5, assessment(flags=["adverse_event"]), "Nebenwirkung X")
    rows = {r["id"]: r for r in (await store.user_data(REP))["assessments"]}
    assert rows[kept]["note_text"] == "Kessler will mehr"
    assert rows[dropped]["note_text"] is None
    row = rows[kept]
    assert (row["rep_id"], row["chat_id"], row["customer_key"], row["customer_display"]) == (
        REP,
        5,
        "kessler",
        "Kessler GmbH",
    )
    assert (row["relationship"], row["tier"], row["value"]) == ("kunde", "B", "mittel")
    assert row["signal_ids"] == ["k_loesung", "v_potenzial"] and row["feedback"] is None
    assert datetime.fromisoformat(row["created_at"]).tzinfo is not None


async def test_feedback_only_on_the_owners_row(store: Store) -> None:
    aid = await store.record_assessment(REP, 1, assessment(), None)
    assert not await store.set_feedback(aid, OTHER, "patient")
    assert not await store.set_feedback(aid + 100, REP, "ok")
    assert await store.set_feedback(aid, REP, "kunde")
    assert await store.set_feedback(aid, REP, "ok")  # a rep may change their mind
    row = await store.get_assessment(aid)
    assert row is not None and row.feedback == "ok" and row.feedback_at is not None
    with pytest.raises(ValueError):
        await store.set_feedback(aid, REP, "maybe")  # type: ignore[arg-type]
    stats = await store.feedback_stats()
    assert stats["total"] == 1 and stats["by_relationship"]["kunde"]["feedback"] == {"ok": 1}


async def test_history_oldest_first_and_portfolio_latest_per_customer(store: Store) -> None:
    await store.record_assessment(REP, 1, assessment(tier="C", relationship="unklar"), None)
    await store.record_assessment(REP, 1, assessment(tier="A"), None)
    await store.record_assessment(REP, 1, assessment("Vogt", "vogt", tier="D", relationship="patient"), None)
    await store.record_assessment(REP, 1, assessment(None, None, tier="B"), None)  # unnamed: no portfolio
    await store.record_assessment(OTHER, 2, assessment(tier="D"), None)
    history = await store.customer_history(REP, "kessler")
    assert [r.tier for r in history] == ["C", "A"]
    portfolio = await store.portfolio(REP)
    assert [(r.customer_key, r.tier) for r in portfolio] == [("kessler", "A"), ("vogt", "D")]
    assert await store.customer_history(OTHER, "vogt") == []


async def test_user_data_is_json_and_forget_removes_only_that_user(store: Store) -> None:
    await store.record_assessment(REP, 1, assessment(), None)
    await store.record_assessment(REP, 1, assessment(), None)
    await store.record_assessment(OTHER, 2, assessment(), None)
    await store.set_lang(REP, "en")
    data = await store.user_data(REP)
    assert json.loads(json.dumps(data)) == data
    assert data["user"]["lang"] == "en" and len(data["assessments"]) == 2
    assert await store.forget(REP) == 3  # two assessments and the user row
    assert await store.user_data(REP) == {"user": {"id": REP, "lang": None, "refused_on": None}, "assessments": []}
    assert await store.count_assessments(OTHER) == 1
    assert await store.forget(REP) == 0


async def test_language_round_trip(store: Store) -> None:
    assert await store.get_lang(REP) is None
    await store.set_lang(REP, "de")
    await store.set_lang(REP, "en")
    assert await store.get_lang(REP) == "en"


async def test_refusal_once_per_user_and_day(url: str) -> None:
    clock = Clock()
    async with Store(url, clock=clock) as s:
        assert await s.should_refuse_today(OTHER)
        assert not await s.should_refuse_today(OTHER)
        assert await s.should_refuse_today(REP)  # per user
        clock.now += timedelta(minutes=2)  # past midnight (UTC)
        assert await s.should_refuse_today(OTHER)
        assert not await s.should_refuse_today(OTHER)
        assert (await s.user_data(OTHER))["user"]["refused_on"] == "2026-03-03"


async def test_concurrent_writers_do_not_fail(store: Store) -> None:
    ids = await asyncio.gather(*(store.record_assessment(rep, rep, assessment(), None) for rep in range(60)))
    assert len(set(ids)) == 60
    results = await asyncio.gather(*(store.set_feedback(i, rep, "ok") for rep, i in enumerate(ids)))
    assert all(results)


async def test_ids_of_deleted_rows_are_never_reused(store: Store) -> None:
    first = await store.record_assessment(REP, 1, assessment(), None)
    await store.forget(REP)
    second = await store.record_assessment(OTHER, 2, assessment(), None)
    assert second > first  # so an old feedback button can never point at someone else's row


async def test_a_closed_store_says_so(url: str) -> None:
    s = Store(url)
    with pytest.raises(RuntimeError, match="not open"):
        await s.get_lang(REP)
