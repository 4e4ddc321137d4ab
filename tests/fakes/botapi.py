"""A loopback Telegram Bot API server for tests: real HTTP/1.1 on 127.0.0.1, asyncio only.

The real PTB client polls it (`TELEGRAM_API_BASE_URL=http://127.0.0.1:<port>/bot`). Tests feed
updates into a queue that getUpdates long-polls; every request is recorded and checked against the
Bot API spec (see botapi_spec.py); a violation is answered with HTTP 400, like Telegram would, and
kept in `violations`, which the fixture turns into a test failure. Errors can be injected: a 429
with retry_after, a 5xx, or a dropped connection, for the next N calls of a method.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import email.policy
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.botapi_spec import Checker, parse_html, utf16_len

TOKEN = "123456789:TEST_tokenForTheLoopbackBotApiServer0"
BOT = {
    "id": 123456789,
    "is_bot": True,
    "first_name": "Kundenfokus",
    "username": "kundenfokus_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    status: int = 200
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class Fault:
    method: str
    kind: str  # "429", "5xx" or "drop"
    times: int = 1
    retry_after: int = 1


class FakeBotApi:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.me = dict(BOT)
        self.checker = Checker()
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.chats: dict[int, dict[str, Any]] = {}
        self.bot_messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._faults: list[Fault] = []
        self._changed = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> FakeBotApi:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # -- what tests feed ---------------------------------------------------------------------

    def feed(self, update: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        task = asyncio.get_running_loop().create_task(self._notify())
        self._tasks.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._tasks.discard)
        return update

    def message(
        self,
        chat: dict[str, Any],
        user: dict[str, Any] | None,
        text: str,
        *,
        thread_id: int | None = None,
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Feed a text message; entities for a leading /command and @mentions are added as Telegram does."""
        self.chats[chat["id"]] = chat
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "text": text,
        }
        if user is not None:
            msg["from"] = user
        entities = _entities(text)
        if entities:
            msg["entities"] = entities
        if thread_id is not None:
            msg["message_thread_id"] = thread_id
            msg["is_topic_message"] = True
            # In a forum topic, Telegram sets reply_to_message to the topic's service message.
            msg["reply_to_message"] = {
                "message_id": thread_id,
                "date": msg["date"],
                "chat": chat,
                "from": user,
                "forum_topic_created": {"name": "Team", "icon_color": 0},
            }
        if reply_to is not None:
            msg["reply_to_message"] = reply_to
        return self.feed({"message": msg})["message"]

    def press(self, user: dict[str, Any], message: dict[str, Any], data: str) -> str:
        """Feed a callback query for a button under one of the bot's messages; returns the query id."""
        query_id = f"q{next(self._update_ids)}"
        self.feed(
            {"callback_query": {"id": query_id, "from": user, "chat_instance": "ci", "message": message, "data": data}}
        )
        return query_id

    def fail(self, method: str, kind: str = "429", times: int = 1, retry_after: int = 1) -> None:
        self._faults.append(Fault(method, kind, times, retry_after))

    # -- what tests read ---------------------------------------------------------------------

    def of(self, method: str, chat_id: int | None = None, ok_only: bool = True) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method
            and (c.ok or not ok_only)
            and (chat_id is None or _same(c.params.get("chat_id"), chat_id))
        ]

    def outgoing(self, chat_id: int) -> list[Call]:
        """Every call that would show something in this chat (messages, actions, documents, edits)."""
        return [c for c in self.calls if _same(c.params.get("chat_id"), chat_id)]

    def answers(self, query_id: str) -> list[Call]:
        return [c for c in self.of("answerCallbackQuery") if c.params.get("callback_query_id") == query_id]

    async def wait_for(self, predicate: Any, timeout: float = 15.0) -> None:
        """Wait until predicate() is true; a bound against hanging, not a timing assertion."""

        async def until() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        try:
            await asyncio.wait_for(until(), timeout)
        except TimeoutError:
            seen = [f"{c.method}({c.status})" for c in self.calls if c.method != "getUpdates"]
            raise AssertionError(f"condition not met; calls so far: {seen}; violations: {self.violations}") from None

    async def sent(self, chat_id: int, count: int = 1, method: str = "sendMessage") -> list[Call]:
        await self.wait_for(lambda: len(self.of(method, chat_id)) >= count)
        return self.of(method, chat_id)

    def pending(self) -> int:
        return len(self._updates)

    # -- HTTP --------------------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                target, headers, body = request
                response = await self._dispatch(target, headers, body)
                if response is None:  # an injected dropped connection
                    break
                status, payload = response
                data = json.dumps(payload).encode()
                writer.write(
                    f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\nContent-Type: application/json"
                    f"\r\nContent-Length: {len(data)}\r\nConnection: keep-alive\r\n\r\n".encode()
                    + data
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _dispatch(self, target: str, headers: dict[str, str], body: bytes) -> tuple[int, Any] | None:
        path = urlsplit(target).path
        m = re.fullmatch(r"/bot([^/]+)/([A-Za-z]+)", path)
        if not m or m.group(1) != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        raw, files = _parse_body(headers.get("content-type", ""), body)
        raw.update(dict(parse_qsl(urlsplit(target).query)))
        name = self.checker.method_name(m.group(2)) or m.group(2)
        params, problems = self.checker.check(name, raw, files)
        call = Call(name, params, problems=problems)
        fault = None if problems else self._take_fault(name)
        if problems:
            self.violations.extend(problems)
            call.status = 404 if self.checker.method_name(name) is None else 400
            result: tuple[int, Any] | None = (
                call.status,
                {"ok": False, "error_code": call.status, "description": "Bad Request: " + "; ".join(problems)},
            )
        elif fault is not None:
            result = self._fault_response(fault, call)
        # Recorded on arrival, so a test sees a long poll as soon as it starts, not when it returns.
        self.calls.append(call)
        await self._notify()
        if not problems and fault is None:
            result = 200, {"ok": True, "result": await self._result(name, params)}
        return result

    def _take_fault(self, method: str) -> Fault | None:
        for fault in self._faults:
            if fault.method == method and fault.times > 0:
                fault.times -= 1
                return fault
        return None

    @staticmethod
    def _fault_response(fault: Fault, call: Call) -> tuple[int, Any] | None:
        if fault.kind == "drop":
            call.status = 0
            return None
        if fault.kind == "5xx":
            call.status = 502
            return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
        call.status = 429
        return 429, {
            "ok": False,
            "error_code": 429,
            "parameters": {"retry_after": fault.retry_after},
            "description": f"Too Many Requests: retry after {fault.retry_after}",
        }

    async def _result(self, method: str, p: dict[str, Any]) -> Any:
        if method == "getMe":
            return self.me
        if method == "getUpdates":
            return await self._get_updates(p)
        if method in ("sendMessage", "sendDocument"):
            return self._new_message(p, method)
        if method in ("editMessageReplyMarkup", "editMessageText"):
            key = (int(p.get("chat_id", 0)), int(p.get("message_id", 0)))
            msg = self.bot_messages.get(key)
            if msg is None:
                return True
            if "reply_markup" in p:
                msg["reply_markup"] = p["reply_markup"]
            else:
                msg.pop("reply_markup", None)
            return msg
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": len(self._updates)}
        return True

    async def _get_updates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        offset, timeout, limit = int(p.get("offset", 0)), float(p.get("timeout", 0)), int(p.get("limit", 100))
        # An offset confirms every update before it, as on Telegram: they are gone for good.
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout > 0:
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait_for(lambda: bool(self._updates)), timeout)
        return self._updates[:limit]

    def _new_message(self, p: dict[str, Any], method: str) -> dict[str, Any]:
        chat_id = int(p["chat_id"])
        chat = self.chats.get(chat_id, {"id": chat_id, "type": "private", "first_name": "Rep"})
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self.me,
        }
        if method == "sendMessage":
            text = p["text"]
            msg["text"] = parse_html(text)[0] if str(p.get("parse_mode", "")).upper() == "HTML" else text
        else:
            msg["document"] = {
                "file_id": f"doc{msg['message_id']}",
                "file_unique_id": f"u{msg['message_id']}",
                "file_size": len(p["document"]) if isinstance(p["document"], bytes) else 0,
            }
        if "message_thread_id" in p:
            msg["message_thread_id"] = int(p["message_thread_id"])
            msg["is_topic_message"] = True
        if isinstance(p.get("reply_markup"), dict) and "inline_keyboard" in p["reply_markup"]:
            msg["reply_markup"] = p["reply_markup"]
        self.bot_messages[(chat_id, msg["message_id"])] = msg
        return msg


def _same(value: Any, chat_id: int) -> bool:
    try:
        return int(value) == chat_id
    except (TypeError, ValueError):
        return False


def _entities(text: str) -> list[dict[str, Any]]:
    """bot_command at the start and @mentions, with offsets in UTF-16 code units like Telegram's."""
    found: list[dict[str, Any]] = []
    if m := re.match(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?", text):
        found.append({"type": "bot_command", "offset": 0, "length": utf16_len(m.group(0))})
    for m in re.finditer(r"(?<![\w/])@[A-Za-z][A-Za-z0-9_]{4,31}", text):
        found.append({"type": "mention", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group(0))})
    return found


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, dict[str, str], bytes] | None:
    line = await reader.readline()
    if not line.strip():
        return None
    _verb, target, _version = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while (h := await reader.readline()) not in (b"\r\n", b"\n", b""):
        key, _, value = h.decode("latin-1").partition(":")
        headers[key.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while size := int((await reader.readline()).split(b";")[0], 16):
            body += await reader.readexactly(size)
            await reader.readline()
        await reader.readline()
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return target, headers, body


def _parse_body(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    if not body:
        return {}, {}
    if content_type.startswith("application/json"):
        data = json.loads(body)
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}, {}
    if content_type.startswith("multipart/form-data"):
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        fields: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if part.get_filename() is not None:
                files[str(name)] = payload
            else:
                fields[str(name)] = payload.decode("utf-8")
        return fields, files
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True)), {}
