"""`kundenfokus serve` as a separate process against the loopback Bot API server."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import NOTE, REP, private, user
from tests.fakes.botapi import TOKEN, FakeBotApi

CLI = shutil.which("kundenfokus", path=str(Path(sys.executable).parent))
pytestmark = pytest.mark.skipif(CLI is None, reason="the kundenfokus console script is not installed")


def serve_env(tmp_path: Path, api: FakeBotApi, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "OPENAI_", "KUNDENFOKUS_"))}
    env.pop("DATABASE_URL", None)
    env.update({
        "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": api.base_url, "TELEGRAM_ALLOWED_USERS": str(REP),
        "KUNDENFOKUS_DATA_DIR": str(tmp_path / "data"), "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost", "STORE_NOTES": "false",
    })
    env.update(extra)
    return env


async def test_serve_answers_and_stops_cleanly_on_sigterm(tmp_path: Path, api: FakeBotApi) -> None:
    assert CLI is not None
    proc = await asyncio.create_subprocess_exec(
        CLI, "serve", cwd=tmp_path, env=serve_env(tmp_path, api),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
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
    Path("/tmp/serve_out.txt").write_text(output)
    assert proc.returncode == 0, output
    assert "Traceback" not in output
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
        CLI, "serve", cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode != 0
    assert b"TELEGRAM_ALLOWED_USERS" in out and b"TELEGRAM_ALLOWED_CHATS" in out
    assert not api.calls  # it never talked to Telegram
