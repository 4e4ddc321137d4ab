"""Failures: 429 and network errors are retried, long replies are split, errors reach no user as tracebacks."""

from __future__ import annotations

import pytest

from bot.replies import Block, Reply
from bot.telegram.render import render
from scoring.customer import customer_key
from scoring.models import Assessment, NextStep, Tier, Value
from tests.e2e.conftest import ADMIN, REP, Bot, make_settings, private, settle, start_bot, user
from tests.fakes.botapi import FakeBotApi
from tests.fakes.botapi_spec import parse_html, utf16_len

LONG_NAME = "Müller & <Söhne> GmbH"


# PTB itself warns when it builds RetryAfter with an int; nothing of ours to change.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_429_is_retried_after_retry_after_and_delivered_exactly_once(bot: Bot) -> None:
    api = bot.api
    api.fail("sendMessage", "429", retry_after=1)
    api.message(private(REP), user(REP), "/help")
    await api.sent(REP)
    await settle(api, private(REP), user(REP))
    attempts = api.of("sendMessage", REP, ok_only=False)
    assert [c.status for c in attempts] == [429, 200]  # refused once, then delivered exactly once


async def test_network_errors_are_retried_and_polling_survives(bot: Bot) -> None:
    api = bot.api
    api.fail("getUpdates", "5xx", times=2)  # polling must survive Telegram hiccups
    api.fail("sendMessage", "drop")  # a dropped connection before any answer
    api.message(private(REP), user(REP), "/help")
    await api.sent(REP)
    statuses = [c.status for c in api.of("sendMessage", REP, ok_only=False)]
    assert statuses == [0, 200]
    assert [c.status for c in api.of("getUpdates", ok_only=False)].count(502) == 2


async def test_a_6000_character_reply_is_split_into_valid_html_parts(bot: Bot) -> None:
    api = bot.api
    key = customer_key(LONG_NAME)
    assert key
    for i in range(130):  # a long history: /kunde lists every assessment
        a = Assessment(
            relationship=("kunde", "patient", "unklar")[i % 3],
            confidence=0.5,
            value=Value(level="mittel"),
            tier=Tier(name="ABCD"[i % 4], label="x", time_investment="y"),
            next_step=NextStep(action="z"),
            customer=LONG_NAME,
            customer_key=key,
        )
        await bot.store.record_assessment(REP, REP, a, None)
    api.message(private(REP), user(REP), f"/kunde {LONG_NAME}")
    await api.sent(REP)
    await settle(api, private(REP), user(REP))
    parts = api.of("sendMessage", REP)
    assert len(parts) >= 2
    plains = []
    for part in parts:
        plain, problems = parse_html(part.params["text"])
        assert not problems and 1 <= utf16_len(plain) <= 4096 and len(part.params["text"]) < 4096
        plains.append(plain)
    text = "\n".join(plains)
    assert len(text) > 6000
    assert text.count("\n• ") + text.count("• ") >= 130 and "<Söhne>" in text


def test_render_splits_one_huge_paragraph_with_markup_balanced() -> None:
    body = ("Sie sagte <b>nicht</b> & meinte es so. " * 200).strip()  # 7,800 characters of user text
    reply = Reply(
        intent="other",
        blocks=[
            Block(kind="title", text="<Titel>"),
            Block(kind="quote", text=body),
            Block(kind="bullets", items=[body[:500]] * 12),
        ],
    )
    parts = render(reply)
    assert len(parts) >= 3
    for part in parts:
        plain, problems = parse_html(part)
        assert not problems and len(part) < 4096 and plain.strip()
    assert "".join(parse_html(p)[0] for p in parts).count("<b>nicht</b>") >= 200


async def test_an_error_apologises_to_the_user_and_notifies_admins_without_content(bot: Bot) -> None:
    api = bot.api
    await bot.store.close()  # the database goes away under the running bot
    api.message(private(REP), user(REP), "/kunde Geheimkunde Hoffmann AG")
    [apology] = await api.sent(REP)
    [notice] = await api.sent(ADMIN)
    assert "Entschuldigung" in apology.params["text"]
    for text in (apology.params["text"], notice.params["text"]):
        assert "Traceback" not in text and "Geheimkunde" not in text and "Hoffmann" not in text
    assert "RuntimeError" in notice.params["text"]
    await bot.store.open()  # so the fixture can shut down as usual


async def test_reindex_is_for_admins_only(tmp_path, api: FakeBotApi) -> None:  # noqa: ANN001
    calls: list[str] = []

    async def reindex() -> str:
        calls.append("x")
        return "3 documents unchanged"

    async with start_bot(make_settings(tmp_path, api), api, reindex=reindex):
        api.message(private(REP), user(REP), "/reindex")
        await api.sent(REP)
        api.message(private(ADMIN), user(ADMIN), "/reindex")
        [done] = await api.sent(ADMIN)
    assert calls == ["x"] and "3 documents unchanged" in done.params["text"]
