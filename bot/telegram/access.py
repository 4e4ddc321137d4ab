"""Who may use the bot: allowed users or chats (ids, or "*"), admins, and one refusal a day for others."""

from __future__ import annotations

from typing import Literal

from bot.settings import Settings
from bot.store import Store

IdList = list[int] | Literal["*"]


def _contains(ids: IdList, value: int | None) -> bool:
    return value is not None and (ids == "*" or value in ids)


class Access:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.users: IdList = settings.telegram_allowed_users
        self.chats: IdList = settings.telegram_allowed_chats
        self.admins: IdList = settings.telegram_admin_ids
        self.store = store

    @property
    def configured(self) -> bool:
        """False when neither list is set: then nobody could use the bot, which is a mistake."""
        return bool(self.users) or bool(self.chats)

    def is_admin(self, user_id: int | None) -> bool:
        # "*" for admins would make everybody an admin: only explicit ids count.
        return user_id is not None and isinstance(self.admins, list) and user_id in self.admins

    def is_allowed(self, user_id: int | None, chat_id: int | None) -> bool:
        """A user on the user list may write anywhere; anyone may write in an allowed chat."""
        return _contains(self.users, user_id) or _contains(self.chats, chat_id) or self.is_admin(user_id)

    async def should_refuse(self, user_id: int | None) -> bool:
        """True once per user and day, so a user who is not allowed is told once, not on every message."""
        if user_id is None:
            return False
        return await self.store.should_refuse_today(user_id)


def how_to_configure() -> str:
    return (
        "Refusing to start: nobody is allowed to use the bot.\n"
        "Set TELEGRAM_ALLOWED_USERS to a comma-separated list of Telegram user ids (e.g. 12345,67890),\n"
        "or TELEGRAM_ALLOWED_CHATS to group chat ids (e.g. -1001234567890), or either to * for everyone,\n"
        "in the environment or in .env. Your id: write to @userinfobot in Telegram."
    )
