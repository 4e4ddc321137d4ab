"""The python-telegram-bot Application: built from settings and services, run by long polling or webhook."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import warnings
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

from telegram import BotCommand, Update
from telegram.error import BadRequest, Conflict, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.app import App
from bot.commands import Commands
from bot.settings import Settings, SettingsError
from bot.store import Store
from bot.telegram import handlers as h
from bot.telegram.access import Access, how_to_configure

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]  # all we handle; Telegram sends nothing else
POLL_TIMEOUT_S = 25  # long-poll seconds; Telegram holds the request open until an update arrives
MAX_CONCURRENT_UPDATES = 256
# Safe to repeat after a timeout: a second call changes nothing the first did not.
IDEMPOTENT = {
    "getMe",
    "getUpdates",
    "sendChatAction",
    "setMyCommands",
    "deleteWebhook",
    "setWebhook",
    "answerCallbackQuery",
    "editMessageReplyMarkup",
    "getWebhookInfo",
}
# Not messages: Telegram's flood limits are about messages, and these must not queue behind them.
UNLIMITED = {"sendChatAction", "answerCallbackQuery"}


class PerChatOrder(BaseUpdateProcessor):
    """Updates run concurrently across chats, but strictly one after another within a chat."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}  # how many updates hold or wait for each lock, to free it after

    async def do_process_update(self, update: object, coroutine: Any) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._users[chat.id] = self._users.get(chat.id, 0) + 1
        try:
            async with lock:  # asyncio.Lock wakes waiters first-in first-out: arrival order is kept
                await coroutine
        finally:
            self._users[chat.id] -= 1
            if not self._users[chat.id]:
                del self._users[chat.id], self._locks[chat.id]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""


class RetryingRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter (flood limits; a 429 waits `retry_after`), plus retries for network errors.

    A timeout is retried only where repeating is harmless (IDEMPOTENT) or the request was never sent
    (pool timeout); other network errors (refused or dropped connections, 5xx) are retried with
    exponential backoff, because losing a reply is worse than a rare duplicate.
    """

    def __init__(self, max_retries: int = 3, network_retries: int = 3, backoff_s: float = 0.5) -> None:
        super().__init__(max_retries=max_retries)
        self.network_retries = network_retries
        self.backoff_s = backoff_s

    async def process_request(  # type: ignore[override]
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        for attempt in range(self.network_retries + 1):
            try:
                if endpoint in UNLIMITED:
                    return await self._unlimited(callback, args, kwargs, rate_limit_args)
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except (BadRequest, Conflict):
                raise  # BadRequest is a NetworkError subclass in PTB, but repeating it cannot help
            except NetworkError as exc:
                if attempt == self.network_retries or not _retryable(exc, endpoint):
                    raise
                delay = self.backoff_s * 2**attempt
                log.warning("%s failed (%s); retry %d in %.1f s", endpoint, exc, attempt + 1, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _unlimited(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        retries = rate_limit_args or self._max_retries
        for attempt in range(retries + 1):
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == retries:
                    raise
                await asyncio.sleep(_seconds(exc) + 0.1)
        raise AssertionError("unreachable")


def _seconds(exc: RetryAfter) -> float:
    # PTB 22 returns an int or a timedelta depending on PTB_TIMEDELTA, and warns on the int.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _retryable(exc: NetworkError, endpoint: str) -> bool:
    if isinstance(exc, TimedOut):
        return endpoint in IDEMPOTENT or "Pool timeout" in exc.message
    return True


def _file_url(base_url: str) -> str:
    # https://api.telegram.org/bot -> https://api.telegram.org/file/bot (same for a local Bot API server)
    return base_url[: -len("bot")] + "file/bot" if base_url.endswith("/bot") else base_url


def build_application(
    settings: Settings, coach: h.CoachLike, commands: Commands, store: Store, reindex: h.Reindex | None = None
) -> Application:
    """The PTB Application with every handler registered; start it with `running()` or `run()`."""
    if settings.telegram_bot_token is None:
        raise SettingsError("TELEGRAM_BOT_TOKEN is not set: ask @BotFather for a token and set it in .env")
    app = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(_file_url(settings.telegram_api_base_url))
        .rate_limiter(RetryingRateLimiter())
        .concurrent_updates(PerChatOrder())
        .connect_timeout(5)
        .read_timeout(15)
        .write_timeout(15)
        .pool_timeout(5)
        .get_updates_read_timeout(POLL_TIMEOUT_S + 10)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    app.bot_data["deps"] = h.Deps(
        coach=coach, commands=commands, store=store, access=Access(settings, store), settings=settings, reindex=reindex
    )

    # Group -1 runs first for every update and stops what is not for us, or not allowed.
    app.add_handler(TypeHandler(Update, h.gate), group=-1)
    only_new = filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler(["start", "help"], h.cmd_start, filters=only_new))
    app.add_handler(CommandHandler(["bewerten", "assess"], h.cmd_assess, filters=only_new))
    app.add_handler(CommandHandler(["frage", "ask"], h.cmd_ask, filters=only_new))
    app.add_handler(CommandHandler(["kunde", "customer"], h.cmd_customer, filters=only_new))
    app.add_handler(CommandHandler("portfolio", h.cmd_portfolio, filters=only_new))
    app.add_handler(CommandHandler(["sprache", "language"], h.cmd_language, filters=only_new))
    app.add_handler(CommandHandler(["daten", "privacy"], h.cmd_privacy, filters=only_new))
    app.add_handler(CommandHandler(["vergessen", "forget"], h.cmd_forget, filters=only_new))
    app.add_handler(CommandHandler("export", h.cmd_export, filters=only_new))
    app.add_handler(CommandHandler("reindex", h.cmd_reindex, filters=only_new))
    app.add_handler(MessageHandler(filters.COMMAND & only_new, h.cmd_unknown))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & only_new, h.on_text))
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE
            & (filters.PHOTO | filters.VOICE | filters.AUDIO | filters.VIDEO | filters.Document.ALL),
            h.on_not_text,
        )
    )
    app.add_handler(CallbackQueryHandler(h.on_button))
    app.add_error_handler(h.on_error)
    return app


async def _post_init(app: Application) -> None:
    d: h.Deps = app.bot_data["deps"]
    await d.store.open()
    try:
        for lang in ("de", "en"):
            cmds = [BotCommand(name, desc) for name, desc in d.commands.command_list(lang)]
            await app.bot.set_my_commands(cmds, language_code=lang)
        default = d.commands.command_list(d.settings.kundenfokus_lang)
        await app.bot.set_my_commands([BotCommand(name, desc) for name, desc in default])
    except NetworkError as exc:  # the menu is a convenience; the bot works without it
        log.warning("could not set the command menu: %s", exc)
    log.info("telegram: running as @%s", app.bot.username)


async def _post_shutdown(app: Application) -> None:
    d: h.Deps = app.bot_data["deps"]
    await d.store.close()


@asynccontextmanager
async def running(app: Application, poll_timeout: int = POLL_TIMEOUT_S) -> AsyncIterator[Application]:
    """Start polling inside an already running event loop (tests, benchmarks); stop cleanly after.

    The same steps, in the same order, as PTB's `run_polling`, which owns its own loop.
    """
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=0, timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES, bootstrap_retries=3
        )
        await app.start()
        yield app
    finally:
        if app.updater and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        if app.post_stop:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)


def startup_problem(settings: Settings) -> str | None:
    """Why `serve` must not start, in words the operator can act on; None when all is well."""
    if settings.telegram_bot_token is None:
        return "Refusing to start: TELEGRAM_BOT_TOKEN is not set. Ask @BotFather for a token and set it in .env."
    if not settings.telegram_allowed_users and not settings.telegram_allowed_chats:
        return how_to_configure()
    secret = settings.telegram_webhook_secret
    if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret.get_secret_value()):
        return "TELEGRAM_WEBHOOK_SECRET may only contain A-Z, a-z, 0-9, _ and -, 1 to 256 characters."
    return None


def run(
    settings: Settings,
    coach: h.CoachLike | None = None,
    commands: Commands | None = None,
    store: Store | None = None,
    reindex: h.Reindex | None = None,
    root: App | None = None,
) -> None:
    """`kundenfokus serve`: long polling, or a webhook when TELEGRAM_WEBHOOK_URL is set. Stops on SIGTERM.

    Services not given are taken from `root` (the composition root, bot/app.py), built if absent.
    """
    problem = startup_problem(settings)
    if problem:
        raise SettingsError(problem)
    if coach is None or store is None or commands is None or reindex is None:
        coach, commands, store, reindex = _compose(root or App(settings), coach, commands, store, reindex)
    app = build_application(settings, coach, commands, store, reindex)
    # run_polling / run_webhook stop on SIGINT, SIGTERM and SIGABRT: the updater stops fetching,
    # handlers in flight finish, the last offsets are confirmed, then post_shutdown closes the store.
    if settings.telegram_webhook_url:
        secret = settings.telegram_webhook_secret
        app.run_webhook(
            listen=settings.telegram_webhook_listen,
            port=settings.telegram_webhook_port,
            url_path=urlparse(settings.telegram_webhook_url).path.strip("/"),
            webhook_url=settings.telegram_webhook_url,
            # Telegram re-registers the webhook at each start, so a fresh random secret also works.
            secret_token=secret.get_secret_value() if secret else secrets.token_urlsafe(32),
            allowed_updates=ALLOWED_UPDATES,
            bootstrap_retries=5,
        )
    else:
        app.run_polling(poll_interval=0, timeout=POLL_TIMEOUT_S, allowed_updates=ALLOWED_UPDATES, bootstrap_retries=5)
    close = getattr(coach, "close", None)
    if callable(close):  # the coach's worker thread; the store was closed in post_shutdown
        close()


def _compose(
    root: App, coach: h.CoachLike | None, commands: Commands | None, store: Store | None, reindex: h.Reindex | None
) -> tuple[h.CoachLike, Commands, Store, h.Reindex | None]:
    """The missing services from the composition root."""
    root.settings.data_dir.mkdir(parents=True, exist_ok=True)

    async def reindex_knowledge() -> str:
        # Embedding is CPU-bound: a worker thread keeps the bot answering meanwhile.
        report = await asyncio.to_thread(root.index.sync, [])
        return str(report.summary())

    return (coach or root.coach, commands or root.commands, store or root.store, reindex or reindex_knowledge)
