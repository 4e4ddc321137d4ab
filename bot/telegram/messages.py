"""Where a message is, whether it is for us, and how a reply goes back: the Telegram mechanics."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from telegram import InputFile, LinkPreviewOptions, Message, MessageEntity, ReplyParameters
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import TelegramError

from bot.replies import Reply
from bot.telegram.render import keyboard, render

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
TYPING_EVERY_S = 4.5  # Telegram shows "typing…" for 5 s per chat action


def addressed(message: Message, bot_username: str, bot_id: int) -> bool:
    """In private every message is for us; in groups only commands, mentions and replies to us."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    text = message.text or ""
    entities = message.entities or ()
    if entities and entities[0].type == MessageEntity.BOT_COMMAND and entities[0].offset == 0:
        command = text[: entities[0].length]
        target = command.partition("@")[2]
        return not target or target.casefold() == bot_username.casefold()
    for entity in entities:
        if entity.type == MessageEntity.MENTION:
            # parse_entity counts in UTF-16 like Telegram does; a plain slice is off after an emoji.
            if message.parse_entity(entity).lstrip("@").casefold() == bot_username.casefold():
                return True
        elif entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id:
            return True
    replied = message.reply_to_message
    # In forum topics every message "replies" to the topic's service message: that is not a reply to us.
    return bool(replied and replied.from_user and replied.from_user.id == bot_id and not replied.forum_topic_created)


def strip_mention(text: str, bot_username: str) -> str:
    """The message without '@botname', so the coach sees only what the rep wrote."""
    return re.sub(rf"@{re.escape(bot_username)}\b", " ", text, flags=re.IGNORECASE).strip()


def command_args(message: Message) -> str:
    """Everything after '/command[@bot]', line breaks kept (context.args would lose them)."""
    text = message.text or ""
    entities = message.entities or ()
    if entities and entities[0].type == MessageEntity.BOT_COMMAND and entities[0].offset == 0:
        return text[entities[0].length :].strip()
    return ""


def thread_of(message: Message) -> int | None:
    """Forum topics: answer in the same topic (a plain reply chain has a thread id that must not be used)."""
    return message.message_thread_id if message.is_topic_message else None


@asynccontextmanager
async def typing(message: Message) -> AsyncIterator[None]:
    """Shows 'typing…' until the block ends; a failed chat action never fails the reply."""

    async def keep_typing() -> None:
        while True:
            try:
                await message.get_bot().send_chat_action(
                    message.chat_id, ChatAction.TYPING, message_thread_id=thread_of(message)
                )
            except TelegramError as exc:
                log.debug("chat action failed: %s", exc)
            await asyncio.sleep(TYPING_EVERY_S)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def send_reply(message: Message, reply: Reply, *, quote: bool | None = None) -> list[Message]:
    """Send the rendered reply into the message's chat and topic; buttons go under the last part."""
    bot = message.get_bot()
    if quote is None:
        quote = message.chat.type != ChatType.PRIVATE  # in busy groups, show what we answer
    reply_to = ReplyParameters(message.message_id, allow_sending_without_reply=True) if quote else None
    parts, markup, thread = render(reply), keyboard(reply), thread_of(message)
    sent: list[Message] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1 and reply.attachment is None
        sent.append(
            await bot.send_message(
                message.chat_id,
                part,
                parse_mode=ParseMode.HTML,
                message_thread_id=thread,
                reply_parameters=reply_to if i == 0 else None,
                reply_markup=markup if last else None,
                link_preview_options=NO_PREVIEW,
            )
        )
    if reply.attachment is not None:
        sent.append(
            await bot.send_document(
                message.chat_id,
                InputFile(reply.attachment.content, filename=reply.attachment.filename),
                message_thread_id=thread,
                reply_markup=markup,
                reply_parameters=None if parts else reply_to,
            )
        )
    if not sent:
        log.warning("the %s reply was empty; nothing sent", reply.intent)
    return sent
