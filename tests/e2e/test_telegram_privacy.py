"""Access control and data protection: refusals, /daten, /export, /vergessen, adverse events, restarts."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import (
    ADVERSE_NOTE,
    NOTE,
    REP,
    REP2,
    STRANGER,
    Bot,
    buttons,
    make_settings,
    private,
    settle,
    start_bot,
    user,
)
from tests.fakes.botapi import FakeBotApi
from tests.fakes.botapi_spec import parse_html


def plain(call) -> str:  # noqa: ANN001
    return parse_html(call.params["text"])[0]


async def test_a_user_who_is_not_allowed_gets_one_refusal_and_nothing_is_stored(bot: Bot) -> None:
    api = bot.api
    for text in (NOTE, NOTE, "/bewerten " + NOTE, "/export"):
        api.message(private(STRANGER), user(STRANGER), text)
    await settle(api, private(STRANGER), user(STRANGER))
    [refusal] = api.of("sendMessage", STRANGER, ok_only=False)
    assert str(STRANGER) in refusal.params["text"]  # tells them which id to ask the operator to allow
    assert not api.of("sendChatAction", STRANGER) and not api.of("sendDocument", STRANGER)
    data = await bot.store.user_data(STRANGER)
    assert data["assessments"] == [] and data["user"]["lang"] is None
    assert await bot.store.count_assessments(STRANGER) == 0


async def test_privacy_says_what_is_stored_and_export_sends_it_as_json(bot: Bot) -> None:
    api = bot.api
    api.message(private(REP), user(REP), NOTE)
    await api.sent(REP)
    api.message(private(REP), user(REP), "/daten")
    calls = await api.sent(REP, 2)
    text = plain(calls[-1])
    assert "STORE_NOTES" in text and "Nebenwirkung" in text and "/vergessen" in text
    assert "1 Bewertung(en)" in text

    api.message(private(REP), user(REP), "/export")
    [doc] = await api.sent(REP, method="sendDocument")
    exported = json.loads(doc.params["document"])
    assert exported["user"]["id"] == REP
    assert len(exported["assessments"]) == 1 and exported["assessments"][0]["note_text"] is None


async def test_forget_asks_first_then_deletes_every_row_of_that_user_only(bot: Bot) -> None:
    api = bot.api
    for rep in (REP, REP2):
        api.message(private(rep), user(rep), NOTE)
        await api.sent(rep)
    api.message(private(REP), user(REP), "/sprache en")
    await api.sent(REP, 2)
    api.message(private(REP), user(REP), "/vergessen")
    calls = await api.sent(REP, 3)
    assert len(await bot.rows(REP)) == 1  # nothing deleted before the confirmation
    yes = next(d for d in buttons(calls[-1].params) if d.endswith(":yes"))
    prompt = api.bot_messages[(REP, max(m for (c, m) in api.bot_messages if c == REP))]

    intruder = api.press(user(REP2), prompt, yes)  # the button is bound to its user
    await api.wait_for(lambda: api.answers(intruder))
    assert len(await bot.rows(REP)) == 1

    query = api.press(user(REP), prompt, yes)
    await api.wait_for(lambda: api.answers(query))
    await settle(api, private(REP), user(REP))
    assert await bot.rows(REP) == []
    assert await bot.store.get_lang(REP) is None
    assert len(await bot.rows(REP2)) == 1  # other reps keep theirs
    assert api.of("editMessageReplyMarkup", REP)  # the confirmation buttons are gone


async def test_adverse_event_note_shows_the_hint_and_its_text_is_never_stored(tmp_path: Path, api: FakeBotApi) -> None:
    settings = make_settings(tmp_path, api, store_notes=True)  # even when notes are kept
    async with start_bot(settings, api) as bot:
        api.message(private(REP), user(REP), NOTE)  # the control: an ordinary note is kept
        await api.sent(REP)
        api.message(private(REP), user(REP), ADVERSE_NOTE)
        calls = await api.sent(REP, 2)
        hint = plain(calls[-1])
        assert "Nebenwirkung" in hint and "Arzneimittelsicherheit" in hint
        rows = await bot.rows(REP)
    assert [r["note_text"] is not None for r in rows] == [True, False]
    db = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("kundenfokus.db*"))
    assert b"Hautausschlag" not in db and b"Kessler hat offen" in db


async def test_after_a_restart_history_and_old_buttons_still_work(tmp_path: Path, api: FakeBotApi) -> None:
    settings = make_settings(tmp_path, api)
    async with start_bot(settings, api):
        api.message(private(REP), user(REP), NOTE)
        [reply] = await api.sent(REP)
    old_button = next(d for d in buttons(reply.params) if d.endswith(":ok"))
    old_message = api.bot_messages[(REP, max(m for (c, m) in api.bot_messages if c == REP))]

    async with start_bot(settings, api) as bot:  # a new process: new Application, store, coach
        query = api.press(user(REP), old_message, old_button)
        await api.wait_for(lambda: api.answers(query))
        [row] = await bot.rows(REP)
        assert row["feedback"] == "ok"
        api.message(private(REP), user(REP), "/kunde Kessler Baustoffe GmbH")
        calls = await api.sent(REP, 2)
        history = plain(calls[-1])
    assert "Kessler" in history and "1 Bewertung" in history and "Feedback" in history
