"""`kundenfokus serve` as a separate process against the loopback Bot API server."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import NOTE, REP, private, user
from tests.fakes.botapi import TOKEN, FakeBotApi

CLI = shutil.which("kundenfokus", path=str(Path(sys.executable).parent))
pytestmark = pytest.mark.skipif(CLI is None, reason="the kundenfokus console script is not installed")


def serve_env(tmp_path: Path, api: FakeBotApi, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "OPENAI_", "KUNDENFOKUS_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "TELEGRAM_ALLOWED_USERS": str(REP),
            "KUNDENFOKUS_DATA_DIR": str(tmp_path / "data"),
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "STORE_NOTES": "false",
        }
    )
    env.update(extra)
    return env


async def test_serve_answers_and_stops_cleanly_on_sigterm(tmp_path: Path, api: FakeBotApi) -> None:
    assert CLI is not None
    proc = await asyncio.create_subprocess_exec(
        CLI,
        "serve",
        cwd=tmp_path,
        env=serve_env(tmp_path, api),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await api.wait_for(lambda: api.of("getUpdates"), timeout=60)  # started and polling
        api.message(private(REP), user(REP), NOTE)
        await api.sent(REP)  # answers (and the model is warm now)

        api.message(private(REP), user(REP), NOTE.replace("Freitag", "Montag"))
        await api.wait_for(lambda: len(api.of("sendChatAction", REP)) >= 2)  # the second one is in flight
        proc.send_signal(signal.SIGTERM)
        # The requirement: a clean stop within 5 s, with the update in flight still answered.
        await asyncio.wait_for(proc.wait(), timeout=5)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    output = (await proc.stdout.read()).decode(errors="replace") if proc.stdout else ""
    assert proc.returncode == 0, output
    assert "Traceback" not in output and " ERROR " not in output  # nothing failed on the way
    assert TOKEN not in output  # the token never reaches the log
    assert len(api.of("sendMessage", REP)) == 2  # nothing lost

    from bot.store import Store

    async with Store(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'kundenfokus.db'}") as store:
        assert await store.count_assessments(REP) == 2


async def test_serve_refuses_to_start_without_allowed_users_or_chats(tmp_path: Path, api: FakeBotApi) -> None:
    assert CLI is not None
    env = serve_env(tmp_path, api)
    del env["TELEGRAM_ALLOWED_USERS"]
    proc = await asyncio.create_subprocess_exec(
        CLI, "serve", cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode != 0
    assert b"TELEGRAM_ALLOWED_USERS" in out and b"TELEGRAM_ALLOWED_CHATS" in out
    assert not api.calls  # it never talked to Telegram


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_webhook_mode_registers_a_secret_and_rejects_requests_without_it(tmp_path: Path, api: FakeBotApi) -> None:
    assert CLI is not None
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    env = serve_env(
        tmp_path,
        api,
        TELEGRAM_WEBHOOK_URL=url,
        TELEGRAM_WEBHOOK_LISTEN="127.0.0.1",
        TELEGRAM_WEBHOOK_PORT=str(port),
        TELEGRAM_WEBHOOK_SECRET="s3cret-Token_1",
    )
    proc = await asyncio.create_subprocess_exec(
        CLI, "serve", cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        await api.wait_for(lambda: api.of("setWebhook"), timeout=60)
        [hook] = api.of("setWebhook")
        assert hook.params["url"] == url and hook.params["secret_token"] == "s3cret-Token_1"
        assert not api.of("getUpdates")  # no polling in webhook mode
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": private(REP),
                "from": user(REP),
                "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        }
        async with httpx.AsyncClient(trust_env=False) as client:
            for _ in range(100):  # the listener starts right after setWebhook
                try:
                    forged = await client.post(url, json=update)
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.1)
            assert forged.status_code == 403  # no secret, no entry
            ok = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1"})
            assert ok.status_code == 200
        await api.sent(REP)
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), timeout=5)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0
    assert len(api.of("sendMessage", REP)) == 1  # the forged update was never handled
