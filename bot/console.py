"""`kundenfokus chat`: the terminal front end, on the same Coach as the Telegram bot."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from bot.context import Context
from bot.replies import Reply

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

# The terminal user is one local rep: history, /kunde and /portfolio work for them too.
LOCAL_REP_ID = 0
QUIT = {"/quit", "/exit", "/q", "/beenden"}
WELCOME = (
    "kundenfokus – beschreiben Sie ein Kundengespräch oder stellen Sie eine Frage. "
    "/help für Befehle, /quit zum Beenden.\n"
    "Describe a customer conversation or ask a question. /help for commands, /quit to leave."
)
NO_INDEX = (
    "Die Wissensbasis ist noch nicht indiziert: `kundenfokus index` ausführen, dann gibt es Quellen. "
    "(The knowledge base is not indexed yet: run `kundenfokus index` to get sourced answers.)"
)
REL_STYLE = {"kunde": "bold green", "patient": "bold red", "unklar": "bold yellow"}


def render_terminal(reply: Reply, console: Console) -> None:
    """Coloured plain text: titles bold, hints yellow, sources dim."""
    relationship = reply.assessment.relationship if reply.assessment else None
    for i, block in enumerate(reply.blocks):
        if block.kind == "title":
            style = REL_STYLE.get(relationship or "", "bold") if i == 0 else "bold"
            console.print(Text(block.text, style=style))
        elif block.kind == "bullets":
            for item in block.items:
                console.print(Text("  • " + item))
        elif block.kind == "source_list":
            console.print(Text(block.text + ":", style="dim"))
            for item in block.items:
                console.print(Text("  " + item, style="dim"))
        elif block.kind == "hint":
            console.print(Text(block.text, style="yellow"))
        else:
            console.print(Text(block.text))
    if reply.notice:
        console.print(Text(reply.notice, style="dim italic"))
    if reply.attachment:
        console.print(Text(reply.attachment.content.decode("utf-8", "replace")))
    if reply.actions and reply.assessment_id is not None:
        console.print(Text("Feedback: /passt, /kunde+, /patient+", style="dim"))
    console.print()


def _line_reader(app: App) -> Callable[[], Awaitable[str]]:
    """Line editing and history on a terminal; plain lines when stdin is a pipe (scripts, tests)."""
    if sys.stdin.isatty():
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory

        session: PromptSession[str] = PromptSession(history=FileHistory(str(app.settings.data_dir / "chat_history")))
        return lambda: session.prompt_async("› ")

    async def read_pipe() -> str:
        print("› ", end="", flush=True)
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        if not line:
            raise EOFError
        return line

    return read_pipe


async def _chat(app: App) -> None:
    console = Console(highlight=False)
    app.settings.data_dir.mkdir(parents=True, exist_ok=True)
    await app.open()
    coach = app.coach
    ctx = Context(user_id=LOCAL_REP_ID, channel="console")
    read_line = _line_reader(app)
    console.print(Text(WELCOME, style="cyan"))
    if not app.index.exists():
        console.print(Text(NO_INDEX, style="yellow"))
    last_id: int | None = None
    try:
        while True:
            try:
                line = await read_line()
            except (EOFError, KeyboardInterrupt):
                break
            text = line.strip()
            if text.lower() in QUIT:
                break
            if not text:
                continue
            feedback = {"/passt": "ok", "/kunde+": "kunde", "/patient+": "patient"}.get(text.lower())
            try:
                if feedback:
                    ok = last_id is not None and await app.store.set_feedback(last_id, LOCAL_REP_ID, feedback)
                    console.print(
                        Text("Danke, gespeichert." if ok else "Keine Bewertung zum Kommentieren.", style="dim")
                    )
                    continue
                with console.status("…", spinner="dots"):
                    reply = await coach.handle(text, ctx)
                if reply.assessment_id is not None:
                    last_id = reply.assessment_id
                render_terminal(reply, console)
            except Exception:  # the session stays alive; the log has the details
                log.exception("chat turn failed")
                console.print(Text("Das hat nicht geklappt – bitte noch einmal versuchen.", style="red"))
    finally:
        await app.close()


def run_chat(app: App) -> None:
    asyncio.run(_chat(app))
