"""Private chats: a debrief gets one reply with the assessment and feedback buttons; buttons store feedback."""

from __future__ import annotations

import re

from tests.e2e.conftest import NOTE, REP, REP2, Bot, buttons, private, settle, user
from tests.fakes.botapi_spec import parse_html


async def test_debrief_gets_one_reply_with_assessment_and_buttons(bot: Bot) -> None:
    api = bot.api
    msg = api.message(private(REP), user(REP), NOTE)
    [reply] = await api.sent(REP)
    await settle(api, private(REP), user(REP))

    assert api.of("sendMessage", REP, ok_only=False) == [reply]  # one reply, nothing after it
    assert reply.params["parse_mode"] == "HTML"
    assert "reply_parameters" not in reply.params  # private: no quoting
    plain, problems = parse_html(reply.params["text"])
    assert not problems and plain.strip()
    data = buttons(reply.params)
    assert len(data) == 3 and all(re.fullmatch(r"fb:\d+:(ok|kunde|patient)", d) for d in data)
    assessment_id = int(data[0].split(":")[1])
    row = await bot.store.get_assessment(assessment_id)
    assert row is not None and row.rep_id == REP and row.chat_id == REP
    assert row.note_text is None  # STORE_NOTES is off by default
    assert row.customer_key  # the note names its customer, so history can be kept
    # The typing indicator went out before the answer.
    first_action = next(i for i, c in enumerate(api.calls) if c.method == "sendChatAction")
    assert api.calls[first_action].params["action"] == "typing"
    assert first_action < api.calls.index(reply)
    assert msg["message_id"]


async def test_feedback_button_stores_feedback_and_answers_the_query(bot: Bot) -> None:
    api = bot.api
    api.message(private(REP), user(REP), NOTE)
    [reply] = await api.sent(REP)
    fb_kunde = next(d for d in buttons(reply.params) if d.endswith(":kunde"))
    assessment_id = int(fb_kunde.split(":")[1])
    bot_message = api.bot_messages[(REP, reply_id(api, REP))]

    query = api.press(user(REP), bot_message, fb_kunde)
    await api.wait_for(lambda: api.answers(query))
    assert len(api.answers(query)) == 1
    assert api.answers(query)[0].params.get("text")  # a short confirmation toast
    row = await bot.store.get_assessment(assessment_id)
    assert row is not None and row.feedback == "kunde" and row.feedback_at is not None
    # The pressed button is marked in place.
    [edit] = api.of("editMessageReplyMarkup", REP)
    assert any(b["text"].startswith("• ") for r in edit.params["reply_markup"]["inline_keyboard"] for b in r)

    # Someone else pressing the rep's button (e.g. a forwarded message) changes nothing, but is answered.
    other = api.press(user(REP2), bot_message, fb_kunde.replace(":kunde", ":patient"))
    await api.wait_for(lambda: api.answers(other))
    row = await bot.store.get_assessment(assessment_id)
    assert row is not None and row.feedback == "kunde"

    stats = await bot.store.feedback_stats()
    assert stats["total"] == 1


async def test_unknown_button_and_commands_are_answered(bot: Bot) -> None:
    api = bot.api
    api.message(private(REP), user(REP), "/portfolio")
    [portfolio] = await api.sent(REP)
    assert parse_html(portfolio.params["text"])[0].strip()
    query = api.press(user(REP), api.bot_messages[(REP, reply_id(api, REP))], "something:old")
    await api.wait_for(lambda: api.answers(query))
    api.message(private(REP), user(REP), "/gibtsnicht")
    await api.sent(REP, 2)


async def test_language_and_command_menus(bot: Bot) -> None:
    api = bot.api
    menus = {c.params.get("language_code") for c in api.of("setMyCommands")}
    assert {"de", "en", None} <= menus
    api.message(private(REP), user(REP), "/language en")
    await api.sent(REP)
    assert await bot.store.get_lang(REP) == "en"
    api.message(private(REP), user(REP), "/help")
    calls = await api.sent(REP, 2)
    assert "Commands" in calls[-1].params["text"]


def reply_id(api, chat_id: int) -> int:  # noqa: ANN001
    """The message_id of the bot's latest message in that chat."""
    return max(mid for (cid, mid) in api.bot_messages if cid == chat_id)


async def test_updates_run_in_order_within_a_chat_and_concurrently_across_chats(bot: Bot) -> None:
    api = bot.api
    api.message(private(REP), user(REP), NOTE)  # slow: the coach assesses it
    api.message(private(REP), user(REP), "/help")  # fast, but must wait for the debrief in the same chat
    api.message(private(REP2), user(REP2), "/help")  # another chat: need not wait
    await api.sent(REP, 2)
    await api.sent(REP2)
    first, second = api.of("sendMessage", REP)
    assert buttons(first.params) and not buttons(second.params)  # the debrief's reply came first
    other = api.of("sendMessage", REP2)[0]
    assert api.calls.index(other) < api.calls.index(first)
