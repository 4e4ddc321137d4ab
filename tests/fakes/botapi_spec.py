"""Checks a Bot API request against the machine-readable spec in telegram-bot-api/ (MIT, see there).

What Telegram would reject, we reject: an unknown method, a missing required field, an unknown
field, a value of the wrong type (objects checked field by field), `text` outside 1-4096 characters
after entity parsing, HTML that Telegram cannot parse, callback_data over 64 bytes, and a few more
documented limits.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).parent / "telegram-bot-api" / "api.min.json"

# Telegram's HTML subset: tag -> the attributes it may carry.
HTML_TAGS: dict[str, set[str]] = {
    "b": set(),
    "strong": set(),
    "i": set(),
    "em": set(),
    "u": set(),
    "ins": set(),
    "s": set(),
    "strike": set(),
    "del": set(),
    "span": {"class"},
    "tg-spoiler": set(),
    "a": {"href"},
    "tg-emoji": {"emoji-id"},
    "code": {"class"},
    "pre": set(),
    "blockquote": {"expandable"},
}
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:=(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*>")
_ATTR = re.compile(r"([a-zA-Z-]+)(?:=(\"[^\"]*\"|'[^']*'|[^\s>]+))?")

# (method, field) -> (min, max) length of the text after entity parsing, in UTF-16 code units.
TEXT_LIMITS = {
    ("sendMessage", "text"): (1, 4096),
    ("editMessageText", "text"): (1, 4096),
    ("sendDocument", "caption"): (0, 1024),
    ("answerCallbackQuery", "text"): (0, 200),
}


@cache
def load_spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> tuple[str, list[str]]:
    """Telegram-style HTML parsing: (plain text, problems). Tags must be known, balanced and nested."""
    problems: list[str] = []
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            m = _TAG.match(text, i)
            if not m:
                problems.append(f"can't parse entities: unescaped '<' at offset {i}")
                i += 1
                continue
            closing, name, attrs = m.group(1), m.group(2).lower(), m.group(3)
            if name not in HTML_TAGS:
                problems.append(f"can't parse entities: unsupported tag <{name}>")
            elif closing:
                if not stack or stack[-1] != name:
                    problems.append(f"can't parse entities: unmatched </{name}>")
                else:
                    stack.pop()
            else:
                for attr, _ in _ATTR.findall(attrs):
                    if attr.lower() not in HTML_TAGS[name]:
                        problems.append(f"can't parse entities: attribute {attr} not allowed on <{name}>")
                stack.append(name)
            i = m.end()
        elif ch == "&":
            m = _ENTITY.match(text, i)
            if not m:
                problems.append(f"can't parse entities: bare '&' at offset {i}")
                out.append(ch)
                i += 1
                continue
            out.append(html.unescape(m.group(0)))
            i = m.end()
        else:
            out.append(ch)
            i += 1
    if stack:
        problems.append(f"can't parse entities: unclosed tag(s) {stack}")
    return "".join(out), problems


def _decode(raw: Any, types: list[str]) -> Any:
    """Form fields arrive as strings; non-string values are JSON, as PTB (and Telegram) encode them."""
    if not isinstance(raw, str) or types == ["String"]:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


class Checker:
    def __init__(self) -> None:
        spec = load_spec()
        self.methods: dict[str, Any] = {k.lower(): v for k, v in spec["methods"].items()}
        self.types: dict[str, Any] = spec["types"]

    def method_name(self, name: str) -> str | None:
        m = self.methods.get(name.lower())
        return m["name"] if m else None

    def check(self, method: str, raw: dict[str, Any], files: dict[str, bytes]) -> tuple[dict[str, Any], list[str]]:
        """The decoded parameters and every violation of the spec."""
        spec = self.methods.get(method.lower())
        if spec is None:
            return dict(raw), [f"{method}: no such Bot API method"]
        fields = {f["name"]: f for f in spec.get("fields", [])}
        problems: list[str] = []
        params: dict[str, Any] = {}
        attached = {f"attach://{name}" for name in files}
        for name, value in raw.items():
            if name not in fields:
                problems.append(f"{method}: unknown field {name!r}")
                params[name] = value
                continue
            types = fields[name]["types"]
            params[name] = _decode(value, types)
            if isinstance(params[name], str) and params[name] in attached and "InputFile" in types:
                continue
            problems += [f"{method}.{p}" for p in self.value(params[name], types, name)]
        for name in files:
            if name in fields:
                params[name] = files[name]
            elif not any(v == f"attach://{name}" for v in raw.values()):
                problems.append(f"{method}: unknown file field {name!r}")
        for name, f in fields.items():
            if f["required"] and name not in params:
                problems.append(f"{method}: required field {name!r} missing")
        problems += self._limits(spec["name"], params)
        return params, problems

    def _limits(self, method: str, params: dict[str, Any]) -> list[str]:
        problems: list[str] = []
        for (m, name), (lo, hi) in TEXT_LIMITS.items():
            if m != method or name not in params or not isinstance(params[name], str):
                continue
            mode = params.get("parse_mode")  # text and caption share it in every method here
            plain = params[name]
            if mode is not None and str(mode).upper() == "HTML":
                plain, html_problems = parse_html(params[name])
                problems += [f"{method}.{name}: {p}" for p in html_problems]
            elif mode is not None and mode not in ("MarkdownV2", "Markdown"):
                problems.append(f"{method}: unknown parse_mode {mode!r}")
            n = utf16_len(plain)
            if not lo <= n <= hi:
                problems.append(f"{method}.{name}: {n} characters after entity parsing, allowed {lo}-{hi}")
            if lo >= 1 and not plain.strip():
                problems.append(f"{method}.{name}: text is empty after entity parsing")
        if method == "setMyCommands" and isinstance(params.get("commands"), list):
            cmds = params["commands"]
            if len(cmds) > 100:
                problems.append("setMyCommands: more than 100 commands")
            for c in cmds:
                if not re.fullmatch(r"[a-z0-9_]{1,32}", str(c.get("command", ""))):
                    problems.append(f"setMyCommands: invalid command name {c.get('command')!r}")
                if not 1 <= len(str(c.get("description", ""))) <= 256:
                    problems.append(f"setMyCommands: description of {c.get('command')!r} not 1-256 chars")
        return problems

    def value(self, value: Any, types: list[str], path: str) -> list[str]:
        """Problems of `value` against a union of spec types (empty when any alternative fits)."""
        best: list[str] | None = None
        for t in types:
            problems = self._one(value, t, path)
            if not problems:
                return []
            if best is None or len(problems) < len(best):
                best = problems
        return best or [f"{path}: no type given"]

    def _one(self, value: Any, t: str, path: str) -> list[str]:
        if t.startswith("Array of "):
            if not isinstance(value, list):
                return [f"{path}: expected {t}"]
            inner = t.removeprefix("Array of ")
            return [p for i, v in enumerate(value) for p in self._one(v, inner, f"{path}[{i}]")]
        simple = {
            "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "Boolean": lambda v: isinstance(v, bool),
            "String": lambda v: isinstance(v, str),
            "True": lambda v: v is True,
            "InputFile": lambda v: isinstance(v, bytes),
        }
        if t in simple:
            return [] if simple[t](value) else [f"{path}: expected {t}, got {type(value).__name__}"]
        spec = self.types.get(t)
        if spec is None:
            return []  # a type the spec does not describe: nothing to check against
        if spec.get("subtypes"):
            return self.value(value, spec["subtypes"], path)
        if not isinstance(value, dict):
            return [f"{path}: expected {t} object"]
        fields = {f["name"]: f for f in spec.get("fields", [])}
        problems = [f"{path}: unknown field {k!r} in {t}" for k in value if k not in fields]
        problems += [f"{path}: {t}.{k} missing" for k, f in fields.items() if f["required"] and k not in value]
        for k, v in value.items():
            if k in fields:
                problems += self.value(v, fields[k]["types"], f"{path}.{k}")
        if t == "InlineKeyboardButton" and "callback_data" in value:
            n = len(str(value["callback_data"]).encode("utf-8"))
            if not 1 <= n <= 64:
                problems.append(f"{path}.callback_data: {n} bytes, allowed 1-64")
        return problems
