"""The optional LLM path: refine an embedded assessment and compose cited coaching answers.

An adapter around langchain-openai's ChatOpenAI for any OpenAI-compatible endpoint (OpenAI, Azure,
Ollama, vLLM). The LLM may make a reply richer, never wrong: everything it returns is checked in
code (signal ids, quotes against the note, the tier from the policy, citation numbers), and any
failure falls back to the embedded result with a one-line notice.

langchain_openai costs seconds to import, so it is imported only when the first request is made;
importing this module stays cheap for the embedded-only path.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr

from bot.settings import PROJECT_ROOT, Settings
from scoring.customer import customer_key as normalise_customer
from scoring.models import (
    Assessment,
    Guidance,
    Lang,
    NextStep,
    Relationship,
    SignalHit,
    Value,
    ValueLevel,
)
from scoring.policy import Policy
from scoring.signals import CATALOGUE, polarity_of

if TYPE_CHECKING:
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_openai import ChatOpenAI
    from openai import DefaultAsyncHttpxClient

log = logging.getLogger(__name__)

PROMPTS_DIR = PROJECT_ROOT / "prompts"
StructuredMethod = Literal["json_schema", "function_calling"]

REFINE_NOTICE: dict[Lang, str] = {
    "de": "KI-Verfeinerung nicht verfügbar – eingebettete Bewertung.",
    "en": "AI refinement unavailable — embedded assessment.",
}
ANSWER_NOTICE: dict[Lang, str] = {
    "de": "KI-Antwort nicht verfügbar – eingebettete Antwort.",
    "en": "AI answer unavailable — embedded answer.",
}
_LANGUAGE: dict[Lang, str] = {"de": "German (Deutsch)", "en": "English"}

# Local servers ignore the key but the OpenAI client refuses to start without one.
_DUMMY_KEY = "not-needed"
# The client's timeout bounds each attempt (per connect/read, not in total), and the SDK backs off
# between retries. An outer deadline of attempts x timeout, plus this allowance per retry for the
# back-off and a margin so the client's own, more telling timeout fires first, bounds the whole call.
_BACKOFF_ALLOWANCE_S = 2.0
_DEADLINE_MARGIN_S = 1.0
# Bounds the prompt: the coach truncates long notes before this, but the adapter must not rely on it.
_MAX_NOTE_CHARS = 12_000
_MAX_PASSAGE_CHARS = 1_200
_MAX_NEXT_STEP_CHARS = 280
# The prompt asks for <= 120 words; this cap keeps a runaway answer on a phone screen regardless.
_MAX_ANSWER_CHARS = 1_000
# A quote of one or two characters is found in almost any note, so it proves nothing.
_MIN_QUOTE_CHARS = 3
# The LLM gives no weights; a signal the embedded scorer did not find gets this middle weight.
_LLM_SIGNAL_WEIGHT = 0.5
_QUOTE_MARKS = "\"'„“”‚‘’«»‹› \t\n"
_FENCE_TAG = re.compile(r"</?\s*(?:note|findings|passage|question)\b[^>]*>", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->\s*", re.DOTALL)
_CITATION = re.compile(r"[ \t]*\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")


class LLMOutputError(RuntimeError):
    """The model answered, but not with something usable; the message names why (never the content)."""


class EvidenceDraft(BaseModel):
    id: str = Field(description="a signal id from the list in the task")
    quote: str = Field(description="the rep's own words, copied character for character from the note")


class AssessmentDraft(BaseModel):
    """Assessment of the counterpart in the rep's note, with verbatim evidence for every signal."""

    # Deliberately slimmer than scoring.models.Assessment: no tier (the policy decides), no offsets
    # (found in code), no weights; ids are plain strings so one bad id drops one signal, not the answer.
    relationship: Relationship
    confidence: float = Field(description="between 0 and 1")
    signals: list[EvidenceDraft] = Field(description="relationship signals (k_*, p_*) with quotes")
    value: ValueLevel
    value_signals: list[EvidenceDraft] = Field(description="value signals (v_*) with quotes")
    next_step: str = Field(description="one concrete action, or the one question to ask next")
    next_step_is_question: bool
    customer: str | None = Field(description="the customer's name as written in the note, or null")


def load_prompt(name: str, prompts_dir: Path = PROMPTS_DIR) -> ChatPromptTemplate:
    """prompts/system.md as the system message and prompts/<name>.md as the human message."""
    from langchain_core.prompts import ChatPromptTemplate

    def read(path: Path) -> str:
        return _COMMENT.sub("", path.read_text(encoding="utf-8")).strip()

    return ChatPromptTemplate.from_messages(
        [("system", read(prompts_dir / "system.md")), ("human", read(prompts_dir / f"{name}.md"))]
    )


class LLMAdvisor:
    """Refines assessments and answers coaching questions through an OpenAI-compatible chat model."""

    def __init__(
        self,
        settings: Settings,
        policy: Policy,
        *,
        method: StructuredMethod = "json_schema",
        prompts_dir: Path = PROMPTS_DIR,
    ) -> None:
        # json_schema by default: OpenAI, Azure, vLLM, Ollama and llama.cpp all constrain decoding to
        # the schema, while forced tool calls are ignored by some local servers (Ollama).
        self._settings = settings
        self._policy = policy
        self._method: StructuredMethod = method
        self._prompts_dir = prompts_dir
        self._chat: ChatOpenAI | None = None
        self._http: DefaultAsyncHttpxClient | None = None
        self._prompts: dict[str, ChatPromptTemplate] = {}
        retries = settings.openai_max_retries
        self._deadline_s = (
            settings.openai_timeout_s * (retries + 1) + _BACKOFF_ALLOWANCE_S * retries + _DEADLINE_MARGIN_S
        )

    @property
    def model(self) -> str:
        return self._settings.openai_model

    def _client(self) -> ChatOpenAI:
        if self._chat is None:
            from langchain_openai import ChatOpenAI  # lazy: see the module docstring
            from openai import DefaultAsyncHttpxClient

            key = self._settings.openai_api_key or SecretStr(_DUMMY_KEY)
            # Our own connection pool instead of langchain-openai's process-wide cached one: pooled
            # connections belong to the event loop that opened them, and a second loop in the same
            # process (a CLI run, a test) must not inherit them.
            self._http = DefaultAsyncHttpxClient()
            self._chat = ChatOpenAI(
                model=self._settings.openai_model,
                api_key=key,
                base_url=self._settings.openai_base_url,
                # Explicit: the client's defaults have no timeout and retry twice.
                timeout=self._settings.openai_timeout_s,
                max_retries=self._settings.openai_max_retries,
                temperature=0,
                # Local servers speak chat completions only; never switch to /v1/responses.
                use_responses_api=False,
                http_async_client=self._http,
            )
        return self._chat

    async def aclose(self) -> None:
        """Close the connection pool (at shutdown); the advisor opens a new one if used again."""
        if self._http is not None:
            await self._http.aclose()
        self._http, self._chat = None, None

    def _prompt(self, name: str) -> ChatPromptTemplate:
        if name not in self._prompts:
            self._prompts[name] = load_prompt(name, self._prompts_dir)
        return self._prompts[name]

    async def refine(self, note: str, embedded: Assessment, lang: Lang) -> tuple[Assessment, str | None]:
        """The LLM's assessment, validated; or the embedded one and a notice when anything fails."""
        try:
            chain = self._assess_chain()  # built before the clock starts: the first call imports the client
            async with asyncio.timeout(self._deadline_s):
                draft = await self._draft(chain, note, embedded, lang)
            return self._merge(note, embedded, draft, lang), None
        except Exception as exc:  # any failure: the rep still gets the embedded assessment
            self._log_failure("refine", exc)
            return embedded, REFINE_NOTICE[lang]

    async def answer(
        self, question: str, passages: list[Guidance], lang: Lang
    ) -> tuple[str, list[int]] | tuple[None, str]:
        """A short answer citing passages as [n] (1-based), and the numbers it cites; or (None, notice)."""
        try:
            chain = self._prompt("coach") | self._client()
            async with asyncio.timeout(self._deadline_s):
                message = await chain.ainvoke(
                    {
                        "language": _LANGUAGE[lang],
                        "question": _defang(question[:_MAX_NOTE_CHARS]),
                        "passages": _format_passages(passages, numbered=True),
                    }
                )
            text, cited = clean_citations(_clip_answer(message.text), len(passages))
            if not text:
                raise LLMOutputError("empty answer")
            return text, cited
        except Exception as exc:  # any failure: the coach falls back to its embedded answer
            self._log_failure("answer", exc)
            return None, ANSWER_NOTICE[lang]

    def _assess_chain(self) -> Any:
        structured = self._client().with_structured_output(AssessmentDraft, method=self._method, include_raw=True)
        return self._prompt("assess") | structured

    async def _draft(self, chain: Any, note: str, embedded: Assessment, lang: Lang) -> AssessmentDraft:
        result: dict[str, Any] = await chain.ainvoke(
            {
                "language": _LANGUAGE[lang],
                "note": _defang(note[:_MAX_NOTE_CHARS]),
                "findings": _format_findings(embedded),
                "passages": _format_passages(embedded.guidance, numbered=False),
            }
        )
        # include_raw=True turns parse errors into values; name only their class, since pydantic's
        # messages quote the model's output, which quotes the note.
        if result.get("parsing_error") is not None:
            raise LLMOutputError(f"unparsable output ({type(result['parsing_error']).__name__})")
        parsed = result.get("parsed")
        if not isinstance(parsed, AssessmentDraft):
            raise LLMOutputError("no structured output (empty answer, or no tool call)")
        return parsed

    def _merge(self, note: str, embedded: Assessment, draft: AssessmentDraft, lang: Lang) -> Assessment:
        weights = {s.id: s.weight for s in [*embedded.signals, *embedded.value.signals]}
        hits, dropped = _evidence(note, [*draft.signals, *draft.value_signals], weights)
        rel_hits = [h for h in hits if h.polarity != "value"]
        value_hits = [h for h in hits if h.polarity == "value"]

        relationship, confidence, signals = draft.relationship, _unit(draft.confidence), rel_hits
        if relationship != "unklar" and not any(h.polarity == relationship for h in rel_hits):
            # A verdict without a single verifiable quote for it is not a refinement: keep the
            # embedded reading (the usual shape of invented evidence).
            relationship, confidence, signals = embedded.relationship, embedded.confidence, embedded.signals
        if confidence is None:
            confidence = embedded.confidence

        if draft.value in ("hoch", "mittel") and not value_hits:
            value = embedded.value  # a claimed value needs evidence, like a relationship
        else:
            value = Value(level=draft.value, signals=value_hits, amount_eur=embedded.value.amount_eur)

        action = _shorten(draft.next_step.strip(), _MAX_NEXT_STEP_CHARS)
        next_step = NextStep(action=action, is_question=draft.next_step_is_question) if action else embedded.next_step
        customer, customer_key = embedded.customer, embedded.customer_key
        named = (draft.customer or "").strip()
        if customer is None and len(named) >= 2 and named in note:
            # Only a name the rep actually wrote, keyed like the embedded scorer keys it (history).
            customer, customer_key = named, normalise_customer(named)

        flags = [*embedded.flags, "llm_refined"] + (["llm_evidence_dropped"] if dropped else [])
        return Assessment(
            relationship=relationship,
            confidence=confidence,
            signals=signals,
            value=value,
            tier=self._policy.tier(relationship, value.level, lang),  # never the model's word
            guidance=embedded.guidance,
            next_step=next_step,
            customer=customer,
            customer_key=customer_key,
            lang=lang,
            flags=list(dict.fromkeys(flags)),
        )

    def _log_failure(self, op: str, exc: BaseException) -> None:
        # Context for operators without the note, the answer or the key: class, status, our own reason.
        detail = str(exc) if isinstance(exc, LLMOutputError) else ""
        status = getattr(exc, "status_code", None)
        endpoint = urlsplit(self._settings.openai_base_url or "https://api.openai.com").hostname
        log.warning(
            "LLM %s failed; using the embedded result (model=%s, endpoint=%s, error=%s%s%s)",
            op,
            self.model,
            endpoint,
            type(exc).__name__,
            f", status={status}" if status else "",
            f", reason={detail}" if detail else "",
        )


def preload_client() -> None:
    """Import the client libraries (seconds) ahead of the first LLM call; run on a background thread."""
    import langchain_openai  # noqa: F401
    import openai  # noqa: F401


def llm_from_settings(settings: Settings, policy: Policy) -> LLMAdvisor | None:
    """The advisor when an API key or base URL is configured, else None (embedded only)."""
    return LLMAdvisor(settings, policy) if settings.llm_enabled else None


def clean_citations(text: str, n_passages: int) -> tuple[str, list[int]]:
    """Drop citations of passages that do not exist; return the text and the cited numbers in order."""
    cited: list[int] = []

    def keep(match: re.Match[str]) -> str:
        numbers = [int(n) for n in re.split(r"\s*[,;]\s*", match.group(1))]
        valid = [n for n in dict.fromkeys(numbers) if 1 <= n <= n_passages]
        cited.extend(n for n in valid if n not in cited)
        if not valid:
            return ""
        lead = match.group(0)[: len(match.group(0)) - len(match.group(0).lstrip(" \t"))]
        return lead + "".join(f"[{n}]" for n in valid)

    cleaned = _CITATION.sub(keep, text)
    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", cleaned)  # "… [9]." left "… ." behind
    return cleaned.strip(), cited


def _evidence(note: str, items: list[EvidenceDraft], weights: dict[str, float]) -> tuple[list[SignalHit], int]:
    """Hits for known ids whose quote occurs literally in the note, one per id; and how many were dropped."""
    hits: dict[str, SignalHit] = {}
    dropped = 0
    for item in items:
        quote = _strip_quote(item.quote)
        start = note.find(quote) if item.id in CATALOGUE and len(quote) >= _MIN_QUOTE_CHARS else -1
        if start < 0:
            dropped += 1
            continue
        if item.id not in hits:
            hits[item.id] = SignalHit(
                id=item.id,
                polarity=polarity_of(item.id),
                weight=weights.get(item.id, _LLM_SIGNAL_WEIGHT),
                start=start,
                end=start + len(quote),
                quote=quote,
            )
    return list(hits.values()), dropped


def _strip_quote(quote: str) -> str:
    # Models like to wrap quotes in quotation marks or end them with an ellipsis; the words inside
    # must still occur literally.
    text = quote.strip(_QUOTE_MARKS)
    for tail in ("…", "..."):
        text = text.removesuffix(tail)
    for head in ("…", "..."):
        text = text.removeprefix(head)
    return text.strip(_QUOTE_MARKS)


def _unit(value: float) -> float | None:
    return None if not math.isfinite(value) else min(1.0, max(0.0, value))


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;: ")
    return cut + "…"


def _clip_answer(text: str) -> str:
    """At most _MAX_ANSWER_CHARS, ending after a whole sentence where there is one."""
    if len(text) <= _MAX_ANSWER_CHARS:
        return text
    head = text[:_MAX_ANSWER_CHARS]
    end = max(head.rfind(". "), head.rfind(".\n"), head.rfind("! "), head.rfind("? "))
    return head[: end + 1] if end > 0 else _shorten(text, _MAX_ANSWER_CHARS)


def _defang(text: str) -> str:
    """Turn anything that looks like our fence tags into look-alikes, so data cannot close its fence."""
    return _FENCE_TAG.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)


def _format_findings(embedded: Assessment) -> str:
    lines = [f"relationship: {embedded.relationship} (confidence {embedded.confidence:.2f})"]
    lines += [f'- {s.id}: "{_defang(s.quote)}"' for s in embedded.relationship_signals]
    lines.append(f"value: {embedded.value.level}")
    lines += [f'- {s.id}: "{_defang(s.quote)}"' for s in embedded.value.signals]
    lines.append(f"tier from the policy: {embedded.tier.name} ({embedded.tier.label})")
    return "\n".join(lines)


def _format_passages(passages: list[Guidance], *, numbered: bool) -> str:
    if not passages:
        return "<passage>(no passages were found)</passage>"
    blocks = []
    for n, p in enumerate(passages, start=1):
        attrs = f' n="{n}"' if numbered else ""
        title = _defang(p.title).replace('"', "'")
        text = _defang(p.text[:_MAX_PASSAGE_CHARS])
        blocks.append(f'<passage{attrs} title="{title}">\n{text}\n</passage>')
    return "\n\n".join(blocks)
