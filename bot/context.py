"""Who sent a message, and where: what the coach needs to know besides the text."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from scoring.models import Lang

Channel = Literal["telegram", "console", "cli", "bench"]


class Context(BaseModel):
    user_id: int | None = None  # None: a local user (terminal, CLI); nothing is stored for them by rep id
    chat_id: int | None = None
    lang: Lang | None = None  # the user's chosen language (/sprache); None: follow each message
    channel: Channel = "cli"
    is_admin: bool = False
