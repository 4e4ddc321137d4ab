"""The typed reply every front end renders (Telegram HTML, terminal text, JSON)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from scoring.models import Assessment, Lang

Intent = Literal["debrief", "question", "command", "other"]
BlockKind = Literal["title", "text", "bullets", "quote", "source_list", "hint"]


class Block(BaseModel):
    """A piece of plain text; renderers add the markup (and escape the text)."""

    kind: BlockKind = "text"
    text: str = ""
    items: list[str] = Field(default_factory=list)


class Source(BaseModel):
    n: int
    title: str
    source: str


class Action(BaseModel):
    """A suggested action: a button in Telegram, a hint in the terminal."""

    label: str
    data: str = Field(max_length=64)  # Telegram's callback_data limit is 64 bytes


class Attachment(BaseModel):
    filename: str
    content: bytes
    mime: str = "application/json"


class Reply(BaseModel):
    intent: Intent
    lang: Lang = "de"
    blocks: list[Block] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    assessment: Assessment | None = None
    actions: list[Action] = Field(default_factory=list)
    attachment: Attachment | None = None
    assessment_id: int | None = None  # the stored row, so feedback can refer to it
    notice: str | None = None  # e.g. "LLM unavailable, embedded answer"

    def plain_text(self) -> str:
        """The reply as plain text: the terminal renderer and tests build on it."""
        parts: list[str] = []
        for block in self.blocks:
            if block.kind == "bullets":
                parts.append("\n".join(f"• {item}" for item in block.items))
            elif block.kind == "quote":
                parts.append(f"„{block.text}“" if self.lang == "de" else f'"{block.text}"')
            elif block.kind == "source_list":
                parts.append("\n".join([f"{block.text}:", *block.items] if block.text else block.items))
            else:
                parts.append(block.text)
        if self.notice:
            parts.append(self.notice)
        return "\n\n".join(p for p in parts if p)
