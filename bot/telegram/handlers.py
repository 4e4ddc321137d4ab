"""Thin PTB handlers: decide whether a message is for us, call the coach or the commands, send the reply.

Nothing here knows about scoring or storage details; all texts come from the coach, `bot.commands`
or `texts.py`, and all markup from `render.py`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Protocol

from telegram import CallbackQuery, Message, ReplyParameters, Update
from telegram.constants import ChatType
from telegram.error import NetworkError, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.commands import FEEDBACK_LABEL, Commands
from bot.context import Context
from bot.replies import Reply
from bot.settings import Settings
from bot.store import Store
from bot.telegram.access import Access
from bot.telegram.messages import addressed, command_args, send_reply, strip_mention, thread_of, typing
from bot.telegram.render import mark_chosen
from bot.telegram.texts import lang_of, text
from scoring.models import Lang

log = logging.getLogger(__name__)

ADMIN_NOTICE_EVERY_S = 600.0  # at most one notice per error type in this interval, so admins are not flooded


class CoachLike(Protocol):
    async def handle(self, text: str, ctx: Context) -> Reply: ...
    async def assess(self, text: str, ctx: Context) -> Reply: ...
    async def ask(self, text: str, ctx: Context) -> Reply: ...


Reindex = Callable[[], Awaitable[object]]


@dataclass
class Deps:
    """What the handlers need; stored once in `application.bot_data["deps"]`."""

    coach: CoachLike
    commands: Commands
    store: Store
    access: Access
    settings: Settings
    reindex: Reindex | None = None
    notices: dict[str, float] = field(default_factory=dict)


def deps(context: ContextTypes.DEFAULT_TYPE) -> Deps:
    return context.application.bot_data["deps"]


# -- helpers ------------------------------------------------------------------------------------


async def make_context(update: Update, d: Deps, *, command: bool) -> Context:
    """The coach's Context; commands fall back to the Telegram client's language, the coach does not."""
    user, chat = update.effective_user, update.effective_chat
    lang: Lang | None = None
    if user is not None:
        stored = await d.store.get_lang(user.id)
        lang = stored if stored in ("de", "en") else None  # type: ignore[assignment]
        if lang is None and command:
            lang = lang_of(user.language_code, d.settings.kundenfokus_lang)
    return Context(
        user_id=user.id if user else None,
        chat_id=chat.id if chat else None,
        lang=lang,
        channel="telegram",
        is_admin=d.access.is_admin(user.id if user else None),
    )


async def respond(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    make: Callable[[Deps, Context], Awaitable[Reply]],
    *,
    command: bool = True,
) -> None:
    """Build the context, show typing, get the reply, send it."""
    message = update.effective_message
    if message is None:
        return
    d = deps(context)
    ctx = await make_context(update, d, command=command)
    async with typing(message):
        reply = await make(d, ctx)
    await send_reply(message, reply)


async def say(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str, **kw: object) -> None:
    """A short fixed text from texts.py in the user's language."""
    message = update.effective_message
    if message is None:
        return
    ctx = await make_context(update, deps(context), command=True)
    await message.get_bot().send_message(
        message.chat_id,
        text(key, ctx.lang or "de", **kw),
        message_thread_id=thread_of(message),
        reply_parameters=ReplyParameters(message.message_id, allow_sending_without_reply=True)
        if message.chat.type != ChatType.PRIVATE
        else None,
    )


# -- the handlers -------------------------------------------------------------------------------


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Drops what is not for us without a sound, and refuses users who are not allowed (once a day)."""
    d, bot = deps(context), context.bot
    user, chat = update.effective_user, update.effective_chat
    allowed = d.access.is_allowed(user.id if user else None, chat.id if chat else None)
    if update.callback_query is not None:
        if not allowed:
            lang = lang_of(user.language_code if user else None, d.settings.kundenfokus_lang)
            await update.callback_query.answer(
                text("refusal", lang, user_id=user.id if user else "?")[:200], show_alert=True
            )
            raise ApplicationHandlerStop
        return
    message = update.message  # edits, channel posts and member updates are not ours to answer
    if message is None or not addressed(message, bot.username, bot.id):
        raise ApplicationHandlerStop
    if not allowed:
        if await d.access.should_refuse(user.id if user else None):
            lang = lang_of(user.language_code if user else None, d.settings.kundenfokus_lang)
            await bot.send_message(
                message.chat_id,
                text("refusal", lang, user_id=user.id if user else "?"),
                message_thread_id=thread_of(message),
            )
        raise ApplicationHandlerStop


async def cmd_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start, /help: what the bot does and its commands."""
    await respond(update, context, lambda d, ctx: d.commands.start(ctx))


async def cmd_assess(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/bewerten, /assess <note>: a forced debrief (or of the message it replies to)."""
    note = _text_or_replied(update.effective_message)
    if not note:
        await say(update, context, "usage_assess")
        return
    await respond(update, context, lambda d, ctx: d.coach.assess(note, ctx), command=False)


async def cmd_ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/frage, /ask <question>: a forced coaching question."""
    question = _text_or_replied(update.effective_message)
    if not question:
        await say(update, context, "usage_ask")
        return
    await respond(update, context, lambda d, ctx: d.coach.ask(question, ctx), command=False)


async def cmd_customer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/kunde <name>: that customer's history and trend."""
    name = command_args(update.effective_message) if update.effective_message else ""
    await respond(update, context, lambda d, ctx: d.commands.customer(name, ctx))


async def cmd_portfolio(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/portfolio: my customers by tier with the monthly time."""
    await respond(update, context, lambda d, ctx: d.commands.portfolio(ctx))


async def cmd_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/sprache, /language de|en."""
    arg = command_args(update.effective_message) if update.effective_message else ""
    await respond(update, context, lambda d, ctx: d.commands.language(arg, ctx))


async def cmd_privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/daten, /privacy: exactly what is stored about me."""
    await respond(update, context, lambda d, ctx: d.commands.privacy(ctx))


async def cmd_forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/vergessen, /forget: asks for confirmation with a button."""
    await respond(update, context, lambda d, ctx: d.commands.forget_prompt(ctx))


async def cmd_export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/export: my data as a JSON file, in a private chat only (a group would see it)."""
    if update.effective_chat is not None and update.effective_chat.type != ChatType.PRIVATE:
        await say(update, context, "private_only")
        return
    await respond(update, context, lambda d, ctx: d.commands.export(ctx))


async def cmd_reindex(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reindex (admins): re-index the knowledge base through the injected callable."""
    d, user = deps(context), update.effective_user
    if not d.access.is_admin(user.id if user else None):
        await say(update, context, "admins_only")
    elif d.reindex is None:
        await say(update, context, "reindex_off")
    else:
        message = update.effective_message
        assert message is not None
        async with typing(message):
            result = await d.reindex()
        await say(update, context, "reindex_done", result="" if result is None else str(result)[:3000])


async def cmd_unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any other /command: answered in private, or in a group only when it names us (/cmd@ourbot)."""
    message = update.effective_message
    in_group = message is not None and message.chat.type != ChatType.PRIVATE
    if in_group and "@" not in (message.text or "").split(maxsplit=1)[0]:
        return  # probably another bot's command: staying quiet keeps the group free of noise
    await say(update, context, "unknown")


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Private text, or a group message that mentions or replies to us: the coach decides what it is."""
    message = update.effective_message
    if message is None or not message.text:
        return
    note = strip_mention(message.text, context.bot.username)
    if not note:
        await respond(update, context, lambda d, ctx: d.commands.start(ctx))
        return
    await respond(update, context, lambda d, ctx: d.coach.handle(note, ctx), command=False)


async def on_not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Photos, voice notes, files in private: say that only text is read."""
    await say(update, context, "text_only")


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Feedback, forget confirmation and language buttons; the query is always answered."""
    query = update.callback_query
    assert query is not None
    answer = ""
    try:
        d = deps(context)
        ctx = await make_context(update, d, command=True)
        kind, _, rest = (query.data or "").partition(":")
        if kind == "fb":
            answer = await _feedback(query, rest, ctx, d)
        elif kind == "fg":
            answer = await _forget(query, rest, ctx, d)
        elif kind == "lang":
            answer = await _reply_in_chat(query, await d.commands.language(rest, ctx))
        else:
            answer = text("stale", ctx.lang or "de")
    finally:
        # Unanswered queries leave the user's button spinning; answer even if the work above failed.
        with suppress(TelegramError):
            await query.answer(answer[:200] or None)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Traceback to the log, a short apology to the user, a notice without user content to admins."""
    error = context.error
    log.error("error while handling an update", exc_info=error)
    d = deps(context)
    chat_type = "-"
    if isinstance(update, Update) and update.effective_chat is not None:
        chat_type = update.effective_chat.type
        await _apologise(update, d)
    if update is None and isinstance(error, NetworkError):
        return  # polling hiccups are retried by PTB; admins need not hear about each one
    await _notify_admins(context, d, f"{type(error).__name__} while handling an update in a {chat_type} chat")


# -- handler internals --------------------------------------------------------------------------


def _text_or_replied(message: Message | None) -> str:
    if message is None:
        return ""
    own = command_args(message)
    if own:
        return own
    replied = message.reply_to_message
    return (replied.text or "").strip() if replied and not replied.forum_topic_created else ""


async def _feedback(query: CallbackQuery, rest: str, ctx: Context, d: Deps) -> str:
    lang: Lang = ctx.lang or "de"
    raw_id, _, verdict = rest.partition(":")
    if not raw_id.isdigit() or verdict not in FEEDBACK_LABEL[lang]:
        return text("stale", lang)
    if not await d.commands.feedback(int(raw_id), verdict, ctx):
        return text("fb_not_yours", lang)
    if isinstance(query.message, Message):
        marked = mark_chosen(query.message.reply_markup, query.data or "")
        if marked is not None and marked != query.message.reply_markup:
            with suppress(TelegramError):  # e.g. too old to edit: the feedback is stored anyway
                await query.edit_message_reply_markup(reply_markup=marked)
    return text("fb_thanks", lang, label=FEEDBACK_LABEL[lang][verdict])


async def _forget(query: CallbackQuery, rest: str, ctx: Context, d: Deps) -> str:
    owner, _, choice = rest.partition(":")
    if str(ctx.user_id) != owner:
        return text("not_yours", ctx.lang or "de")
    reply = await (d.commands.forget_confirm(ctx) if choice == "yes" else d.commands.forget_cancel(ctx))
    if isinstance(query.message, Message):
        with suppress(TelegramError):  # the buttons must not be pressed twice
            await query.edit_message_reply_markup(reply_markup=None)
    return await _reply_in_chat(query, reply)


async def _reply_in_chat(query: CallbackQuery, reply: Reply) -> str:
    """Send a button's result under the message that had the button; the answer toast repeats it."""
    if isinstance(query.message, Message):
        await send_reply(query.message, reply, quote=False)
    else:
        await query.get_bot().send_message(query.from_user.id, reply.plain_text()[:4000] or "✓")
    return reply.plain_text()


async def _apologise(update: Update, d: Deps) -> None:
    user = update.effective_user
    lang: Lang = lang_of(user.language_code if user else None, d.settings.kundenfokus_lang)
    with suppress(Exception):  # the store may be what failed
        stored = await d.store.get_lang(user.id) if user else None
        if stored in ("de", "en"):
            lang = stored  # type: ignore[assignment]
    try:
        if update.callback_query is not None:
            with suppress(TelegramError):
                await update.callback_query.answer()
        message = update.effective_message
        if message is not None and update.effective_chat is not None:
            await message.get_bot().send_message(
                update.effective_chat.id, text("apology", lang), message_thread_id=thread_of(message)
            )
    except TelegramError:
        log.exception("could not send the apology")


async def _notify_admins(context: ContextTypes.DEFAULT_TYPE, d: Deps, summary: str) -> None:
    admins = d.settings.telegram_admin_ids
    if not isinstance(admins, list) or not admins:
        return
    key, now = summary.partition(" ")[0], time.monotonic()
    if now - d.notices.get(key, -ADMIN_NOTICE_EVERY_S) < ADMIN_NOTICE_EVERY_S:
        return
    d.notices[key] = now
    for admin in admins:
        try:
            await context.bot.send_message(admin, f"⚠️ kundenfokus: {summary}. Details are in the server log.")
        except TelegramError as exc:  # e.g. the admin never started a chat with the bot
            log.warning("could not notify admin %s: %s", admin, exc)
