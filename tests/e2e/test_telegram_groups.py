"""Team groups: only commands, mentions and replies to the bot are answered; forum topics keep their thread."""

from __future__ import annotations

from tests.e2e.conftest import BOT_NAME, GROUP, NOTE, REP, Bot, group, settle, user
from tests.fakes.botapi import BOT
from tests.fakes.botapi_spec import parse_html


async def test_group_chatter_without_mention_causes_no_outgoing_call(bot: Bot) -> None:
    api = bot.api
    chat = group()
    colleague = api.message(chat, user(REP2 := 1002), "Wer hat den Schlüssel für Raum 3?")
    api.message(chat, user(REP), NOTE)  # a debrief, but not addressed to the bot
    api.message(chat, user(REP), "@someone_else kannst du das übernehmen?")
    api.message(chat, user(REP), "/start@other_team_bot")
    api.message(chat, user(REP), "/urlaubsplan")  # a command we do not have: likely another bot's
    api.message(chat, user(REP), "Ja, ich", reply_to=colleague)
    api.message(chat, user(REP), "Notiz", thread_id=55)  # a forum topic: still not a reply to the bot
    await settle(api, chat, user(REP))

    assert api.outgoing(GROUP) == []  # not a message, not a typing indicator, nothing
    assert await bot.rows(REP) == [] and await bot.rows(REP2) == []


async def test_assess_command_with_botname_in_a_forum_topic_replies_in_the_same_thread(bot: Bot) -> None:
    api = bot.api
    msg = api.message(group(), user(REP), f"/bewerten@{BOT_NAME} {NOTE}", thread_id=77)
    [reply] = await api.sent(GROUP)
    assert reply.params["message_thread_id"] == 77
    assert reply.params["reply_parameters"]["message_id"] == msg["message_id"]
    assert all(c.params.get("message_thread_id") == 77 for c in api.outgoing(GROUP))
    assert not parse_html(reply.params["text"])[1]
    assert reply.params.get("reply_markup")  # feedback buttons under the assessment
    [row] = await bot.rows(REP)
    assert row["chat_id"] == GROUP


async def test_mentions_and_replies_to_the_bot_are_answered(bot: Bot) -> None:
    api = bot.api
    api.message(group(), user(REP), f"@{BOT_NAME} Was macht einen KOL aus?")
    [first] = await api.sent(GROUP)
    bot_msg = api.bot_messages[(GROUP, max(m for (c, m) in api.bot_messages if c == GROUP))]
    assert bot_msg["from"]["id"] == BOT["id"]
    api.message(group(), user(REP), "Und wie erkenne ich einen Patienten?", reply_to=bot_msg)
    await api.sent(GROUP, 2)
    api.message(group(), user(REP), f"/kunde@{BOT_NAME} Kessler")
    await api.sent(GROUP, 3)
    assert first.params["parse_mode"] == "HTML"


async def test_group_not_allowed_gets_one_refusal_only_when_addressed(bot: Bot) -> None:
    api = bot.api
    stranger_group = group(-100999)
    stranger = user(7777)
    api.message(stranger_group, stranger, "irgendwas")  # not addressed: silence
    api.message(stranger_group, stranger, f"/help@{BOT_NAME}")
    api.message(stranger_group, stranger, f"/help@{BOT_NAME}")
    query = api.press(stranger, {"message_id": 1, "date": 0, "chat": stranger_group}, "fb:1:ok")
    await api.wait_for(lambda: api.answers(query))
    assert len(api.of("sendMessage", -100999)) == 1
    assert api.answers(query)[0].params.get("show_alert") is True


async def test_export_in_a_group_is_refused_so_the_team_never_sees_it(bot: Bot) -> None:
    api = bot.api
    api.message(group(), user(REP), f"/export@{BOT_NAME}")
    [reply] = await api.sent(GROUP)
    assert "privat" in reply.params["text"]
    api.message(group(), user(REP), f"/urlaubsplan@{BOT_NAME}")  # names us: gets a short hint
    await api.sent(GROUP, 2)
    assert not api.of("sendDocument")
