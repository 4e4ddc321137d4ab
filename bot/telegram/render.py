"""Reply -> Telegram HTML parts and an inline keyboard.

Every piece of text is escaped here (it comes from users, the knowledge base or the LLM), and the
only markup is added here, from a fixed set of Telegram-supported tags, always closed in the same
part it was opened in. Long replies are split at paragraph boundaries, then lines, sentences, words.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.replies import Action, Block, Reply
from scoring.models import Lang

log = logging.getLogger(__name__)

# Telegram counts the limit after entity parsing; counting the raw HTML is stricter and leaves room.
MAX_PART = 4000
CALLBACK_MAX_BYTES = 64
FEEDBACK_LABELS: dict[Lang, dict[str, str]] = {
    "de": {"ok": "✅ passt", "kunde": "⬆ eher Kunde", "patient": "⬇ eher Patient"},
    "en": {"ok": "✅ fits", "kunde": "⬆ more a customer", "patient": "⬇ more a patient"},
}
CHOSEN_MARK = "• "


def esc(text: str) -> str:
    """Escape for Telegram HTML text: &, < and > (quotes only matter inside attributes)."""
    return html.escape(text, quote=False)


@dataclass(frozen=True)
class _Wrap:
    """How a block's text is marked up: prefix and suffix around each escaped piece."""

    before: str = ""
    after: str = ""

    def apply(self, escaped: str) -> str:
        return f"{self.before}{escaped}{self.after}"

    @property
    def overhead(self) -> int:
        return len(self.before) + len(self.after)


_WRAPS: dict[str, _Wrap] = {
    "title": _Wrap("<b>", "</b>"),
    "text": _Wrap(),
    "hint": _Wrap("<b>", "</b>"),
    "quote": _Wrap("<blockquote>", "</blockquote>"),
    "source_list": _Wrap("<i>", "</i>"),
    "notice": _Wrap("<i>", "</i>"),
}


def render(reply: Reply, limit: int = MAX_PART) -> list[str]:
    """The reply as HTML messages, each at most `limit` characters, none empty."""
    paragraphs: list[str] = []
    for block in reply.blocks:
        paragraphs.extend(_block(block, limit))
    if reply.sources and not any(b.kind == "source_list" for b in reply.blocks):
        lines = [f"[{s.n}] {s.title} – {s.source}" for s in reply.sources]
        paragraphs.extend(_piece("\n".join(lines), _WRAPS["source_list"], limit))
    if reply.notice:
        paragraphs.extend(_piece(reply.notice, _WRAPS["notice"], limit))
    return _pack(paragraphs, "\n\n", limit)


def _block(block: Block, limit: int) -> list[str]:
    if block.kind == "bullets":
        lines: list[str] = []
        for item in block.items:
            lines.extend(_piece(item, _Wrap("• "), limit))
        # A long list becomes several paragraphs at item boundaries, never inside a tag.
        return _pack(lines, "\n", limit)
    if block.kind == "source_list":
        heading = _piece(block.text, _WRAPS["title"], limit)
        return _pack(heading + _piece("\n".join(block.items), _WRAPS["source_list"], limit), "\n", limit)
    return _piece(block.text, _WRAPS.get(block.kind, _Wrap()), limit)


def _piece(text: str, wrap: _Wrap, limit: int) -> list[str]:
    """Escape and wrap `text`; if too long, wrap each chunk separately so tags stay balanced."""
    text = text.strip()
    if not text:
        return []
    return [wrap.apply(esc(chunk)) for chunk in split_text(text, limit - wrap.overhead, _esc_len)]


def _esc_len(text: str) -> int:
    return len(esc(text))


def split_text(text: str, budget: int, size: Callable[[str], int] = len) -> list[str]:
    """Split plain text into chunks with size(chunk) <= budget: at blank lines, lines, sentences, words."""
    if size(text) <= budget:
        return [text] if text.strip() else []
    for sep in ("\n\n", "\n", ". ", " "):
        parts = text.split(sep)
        if len(parts) > 1:
            break
    else:
        return _hard_cut(text, budget, size)
    chunks: list[str] = []
    current = ""
    for i, part in enumerate(parts):
        piece = part + (sep if i < len(parts) - 1 and sep.strip() else "")
        glue = "" if not current or sep.strip() else sep
        if current and size(current + glue + piece) > budget:
            chunks.append(current)
            current, glue = "", ""
        current += glue + piece
    if current:
        chunks.append(current)
    result: list[str] = []
    for chunk in chunks:
        result.extend(split_text(chunk.strip(), budget, size))
    return result


def _hard_cut(text: str, budget: int, size: Callable[[str], int]) -> list[str]:
    chunks, current, used = [], "", 0
    for ch in text:
        n = size(ch)
        if used + n > budget and current:
            chunks.append(current)
            current, used = "", 0
        current += ch
        used += n
    if current.strip():
        chunks.append(current)
    return chunks


def _pack(paragraphs: list[str], sep: str, limit: int) -> list[str]:
    """Greedily join finished (balanced) HTML paragraphs into parts of at most `limit` characters."""
    parts: list[str] = []
    current = ""
    for para in paragraphs:
        if current and len(current) + len(sep) + len(para) > limit:
            parts.append(current)
            current = ""
        current = f"{current}{sep}{para}" if current else para
    if current:
        parts.append(current)
    return parts


# -- buttons ------------------------------------------------------------------------------------


def feedback_data(assessment_id: int, verdict: str) -> str:
    # Only the row id and the verdict: the row (and its owner) lives in the database, so the button
    # keeps working after a restart and never carries personal data.
    return f"fb:{assessment_id}:{verdict}"


def feedback_row(assessment_id: int, lang: Lang, chosen: str | None = None) -> list[InlineKeyboardButton]:
    labels = FEEDBACK_LABELS[lang]
    return [
        InlineKeyboardButton(
            (CHOSEN_MARK if key == chosen else "") + label, callback_data=feedback_data(assessment_id, key)
        )
        for key, label in labels.items()
    ]


def keyboard(reply: Reply, chosen: str | None = None) -> InlineKeyboardMarkup | None:
    """The reply's actions as buttons: feedback in one row (added if the coach gave none), others two a row."""
    feedback = [b for b in (_button(a) for a in reply.actions if a.data.startswith("fb:")) if b is not None]
    others = [b for b in (_button(a) for a in reply.actions if not a.data.startswith("fb:")) if b is not None]
    if not feedback and reply.assessment_id is not None and reply.assessment is not None:
        feedback = feedback_row(reply.assessment_id, reply.lang, chosen)
    rows = [feedback] if feedback else []
    rows.extend(others[i : i + 2] for i in range(0, len(others), 2))
    return InlineKeyboardMarkup(rows) if rows else None


def _button(action: Action) -> InlineKeyboardButton | None:
    if not action.label.strip() or not 1 <= len(action.data.encode("utf-8")) <= CALLBACK_MAX_BYTES:
        log.warning("dropping a button whose callback data is empty or over 64 bytes: %r", action.label)
        return None
    return InlineKeyboardButton(action.label[:64], callback_data=action.data)


def mark_chosen(markup: InlineKeyboardMarkup | None, data: str) -> InlineKeyboardMarkup | None:
    """The same keyboard with the pressed feedback button marked, so the rep sees it was taken."""
    if markup is None:
        return None
    prefix = data.rsplit(":", 1)[0] + ":"
    rows = []
    for row in markup.inline_keyboard:
        new_row = []
        for b in row:
            cb = b.callback_data if isinstance(b.callback_data, str) else None
            if cb and cb.startswith(prefix):
                label = b.text.removeprefix(CHOSEN_MARK)
                b = InlineKeyboardButton((CHOSEN_MARK if cb == data else "") + label, callback_data=cb)
            new_row.append(b)
        rows.append(new_row)
    return InlineKeyboardMarkup(rows)
