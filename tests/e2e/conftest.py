"""The real bot (composition root, coach, store on tmp_path, PTB Application) against the loopback Bot API."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

from bot.app import App
from bot.settings import Settings, load_settings
from bot.store import Store
from bot.telegram.main import build_application, running
from tests.fakes.botapi import BOT, TOKEN, FakeBotApi

# httpx honours HTTP(S)_PROXY even for loopback addresses unless told otherwise.
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

REP, REP2, STRANGER, ADMIN = 1001, 1002, 6666, 9001
GROUP = -1001234567890  # an allowed forum supergroup
BOT_NAME = BOT["username"]

NOTE = (
    "Termin bei Kessler Baustoffe GmbH: Herr Kessler hat offen über seine Ziele gesprochen, "
    "will bis Freitag ein Angebot für einen Rahmenvertrag über drei Jahre, Budget 200k."
)
ADVERSE_NOTE = (
    "Besuch bei Dr. Weber: Sie berichtet über eine Nebenwirkung bei einer Patientin, "
    "Hautausschlag nach Umstellung auf Präparat X. Will aber Infos zu Studien."
)


def user(uid: int, lang: str = "de") -> dict[str, Any]:
    return {"id": uid, "is_bot": False, "first_name": f"Rep{uid}", "language_code": lang}


def private(uid: int) -> dict[str, Any]:
    return {"id": uid, "type": "private", "first_name": f"Rep{uid}"}


def group(cid: int = GROUP) -> dict[str, Any]:
    return {"id": cid, "type": "supergroup", "title": "Vertrieb Süd", "is_forum": True}


def make_settings(tmp_path: Path, api: FakeBotApi, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "kundenfokus_data_dir": tmp_path / "data",
        "telegram_bot_token": TOKEN,
        "telegram_api_base_url": api.base_url,
        "telegram_allowed_users": [REP, REP2],
        "telegram_allowed_chats": [GROUP],
        "telegram_admin_ids": [ADMIN],
        "telegram_webhook_url": None,
        "openai_api_key": None,  # never call a real LLM from tests, whatever the environment says
        "openai_base_url": None,
        "database_url": None,
        "store_notes": False,
    }
    values.update(overrides)
    return load_settings(**values)


@dataclass
class Bot:
    api: FakeBotApi
    app: Application
    root: App
    settings: Settings

    @property
    def store(self) -> Store:
        return self.root.store

    async def rows(self, rep_id: int) -> list[dict[str, Any]]:
        return (await self.store.user_data(rep_id))["assessments"]


@asynccontextmanager
async def start_bot(settings: Settings, api: FakeBotApi, reindex: Any = None) -> AsyncIterator[Bot]:
    """The real composition root and PTB Application, polling the fake server until the block ends."""
    root = App(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = build_application(settings, root.coach, root.commands, root.store, reindex=reindex)
    try:
        async with running(app, poll_timeout=5):
            yield Bot(api, app, root, settings)
    finally:
        root.coach.close()


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    server = await FakeBotApi().start()
    yield server
    await server.stop()
    # Every request was checked against the Bot API spec; anything Telegram would reject fails the test.
    assert not server.violations, "Bot API violations:\n" + "\n".join(server.violations)


@pytest.fixture
def settings(tmp_path: Path, api: FakeBotApi) -> Settings:
    return make_settings(tmp_path, api)


@pytest.fixture
async def bot(settings: Settings, api: FakeBotApi) -> AsyncIterator[Bot]:
    async with start_bot(settings, api) as running_bot:
        yield running_bot


async def settle(api: FakeBotApi, chat: dict[str, Any], from_user: dict[str, Any]) -> None:
    """Wait until everything fed into this chat so far is handled.

    Updates of one chat are handled in order, so once a button press fed after them is answered,
    they are done. The press is for a button that does not exist: it only gets a query answer.
    """
    query = api.press(from_user, {"message_id": 1, "date": 0, "chat": chat}, "settle")
    await api.wait_for(lambda: api.answers(query))


def buttons(call_params: dict[str, Any]) -> list[str]:
    """The callback_data of every inline button in a sendMessage call."""
    markup = call_params.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row if "callback_data" in b]
