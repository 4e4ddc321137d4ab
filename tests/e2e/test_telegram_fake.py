"""The loopback Bot API server rejects what Telegram rejects, so the other tests can trust its silence."""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from tests.fakes.botapi import BOT, TOKEN, FakeBotApi


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"text": "<b>offen"}, "unclosed"),
        ({"text": "<script>x</script>"}, "unsupported tag"),
        ({"text": "a < b"}, "unescaped '<'"),
        ({"text": "<b>x</b>"}, None),
        ({"text": "x" * 4097}, "4097 characters"),
        ({"text": "<b></b>"}, "empty"),
        ({"text": "ok", "api_kwargs": {"colour": "red"}}, "unknown field 'colour'"),
        (
            {"text": "ok", "reply_markup": InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="x" * 65)]])},
            "65 bytes",
        ),
    ],
)
async def test_send_message_is_checked_against_the_spec(api: FakeBotApi, kwargs: dict, problem: str | None) -> None:
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        assert (await bot.get_me()).username == BOT["username"]
        if problem is None:
            await bot.send_message(1, parse_mode=ParseMode.HTML, **kwargs)
        else:
            with pytest.raises(BadRequest):
                await bot.send_message(1, parse_mode=ParseMode.HTML, **kwargs)
    assert (problem is None) == (not api.violations)
    assert problem is None or any(problem in v for v in api.violations)
    api.violations.clear()  # expected here; any other violation fails the test


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning")
async def test_unknown_methods_and_missing_fields_are_violations(api: FakeBotApi) -> None:
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        with pytest.raises(TelegramError):
            await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})
        with pytest.raises(BadRequest):
            await bot.do_api_request("sendMessage", api_kwargs={"chat_id": 1})
    assert any("no such Bot API method" in v for v in api.violations)
    assert any("required field 'text' missing" in v for v in api.violations)
    api.violations.clear()
