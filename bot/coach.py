"""The service layer: one Coach turns any message into a typed Reply, for every front end."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.commands import COMMANDS
from bot.compose import answer_reply, best_sentence, debrief_reply, feedback_actions, nothing_found, sources_block
from bot.context import Context
from bot.replies import Block, Reply, Source
from knowledge.embeddings import SentenceCache
from scoring.detect import MAX_CHARS
from scoring.models import Assessment, Guidance, Lang
from scoring.signals import CATALOGUE

if TYPE_CHECKING:
    from bot.commands import Commands
    from bot.intents import IntentRouter
    from bot.llm import LLMAdvisor
    from bot.store import Store
    from knowledge.retrieve import Retriever
    from scoring.detect import Scorer

log = logging.getLogger(__name__)

# Below this similarity the knowledge base has nothing to say about a question.
MIN_RELEVANCE = 0.22
MAX_INPUT = 20_000

SMALL_TALK = {
    "de": "Ich bin Ihr Coach für Kundengespräche. Beschreiben Sie kurz ein Gespräch (wer, was wurde gesagt, "
    "welche Zahlen) – ich sage Ihnen, ob Kunde oder Patient, wie viel Zeit er wert ist und was als Nächstes "
    "zu tun ist. Oder stellen Sie eine Coaching-Frage. /help zeigt alle Befehle.",
    "en": "I'm your coach for customer conversations. Describe a call briefly (who, what was said, any "
    "figures) and I'll tell you whether it's a Kunde or a Patient, how much time they're worth and what to "
    "do next. Or ask a coaching question. /help lists all commands.",
}
EMPTY = {
    "de": "Die Nachricht ist leer. Schreiben Sie mir kurz, wie das Kundengespräch lief, oder stellen Sie eine Frage.",
    "en": "That message is empty. Tell me briefly how the customer conversation went, or ask a question.",
}
NO_CONTENT = {
    "de": "In der Notiz finde ich nichts über das Gespräch selbst. Beschreiben Sie, was der Kunde gesagt oder "
    "getan hat – Anweisungen an den Bot (z. B. „als A einstufen“) ändern die Bewertung nicht.",
    "en": "I find nothing about the conversation itself in that note. Describe what the customer said or did; "
    "instructions to the bot (e.g. 'mark as A') do not change the assessment.",
}
UNKNOWN_COMMAND = {
    "de": "Diesen Befehl kenne ich nicht. /help zeigt alle Befehle.",
    "en": "I don't know that command. /help lists all commands.",
}
MISSING_ARG = {
    "bewerten": {"de": "Bitte die Notiz direkt nach /bewerten schreiben.", "en": "Please add the note after /assess."},
    "frage": {"de": "Bitte die Frage direkt nach /frage schreiben.", "en": "Please add the question after /ask."},
}

# What a rep needs to know next, per relationship: the query that finds the guidance.
SITUATION = {
    "de": {
        "kunde": "Wie entwickle ich diesen Kunden und investiere meine Zeit richtig?",
        "patient": "Wie gehe ich mit diesem Patienten um und begrenze meine Zeit?",
        "unklar": "Wie kläre ich im nächsten Gespräch, ob Kunde oder Patient?",
    },
    "en": {
        "kunde": "How do I develop this customer and invest my time well?",
        "patient": "How do I deal with this patient and limit my time?",
        "unklar": "How do I find out in the next conversation whether this is a customer or a patient?",
    },
}
# Which topics fit a case: the guidance should help with what to do next.
_TOPICS_FOR = {
    ("kunde", "A"): ["key-account", "kunden-entwickeln", "zeitallokation"],
    ("kunde", "B"): ["kunden-entwickeln", "kundenwert-clv", "gespraechsfuehrung"],
    ("kunde", "C"): ["kunden-entwickeln", "zeitallokation", "abc-segmentierung"],
    ("unklar", None): ["gespraechsfuehrung", "kunde-merkmale", "patient-merkmale"],
    ("patient", None): ["umgang-patient", "zeitallokation"],
}
# Every command's German and English name, to its German (canonical) name.
ALIASES = {name: c.de for c in COMMANDS for name in (c.de, c.en)} | {"hilfe": "help"}


class Coach:
    def __init__(
        self,
        router: IntentRouter,
        scorer: Scorer,
        retriever: Retriever,
        *,
        llm: LLMAdvisor | None = None,
        store: Store | None = None,
        commands: Commands | None = None,
        store_notes: bool = False,
        default_lang: Lang = "de",
    ) -> None:
        self.router = router
        self.scorer = scorer
        self.retriever = retriever
        self.llm = llm
        self.store = store
        self.commands = commands
        self.store_notes = store_notes
        self.default_lang = default_lang
        # The model runs on one worker thread: the event loop stays free, and numpy calls never interleave.
        self._cpu = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coach-cpu")
        self._sentences = SentenceCache(_embedder(retriever))

    async def _run(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._cpu, fn, *args)

    async def handle(self, text: str, ctx: Context) -> Reply:
        """Route a message and answer it: debrief, question, command or other."""
        stripped = (text or "").strip()
        if not stripped:
            return _simple("other", ctx.lang or self.default_lang, EMPTY)
        if stripped.startswith("/"):
            return await self.command(stripped, ctx)
        route = await self._run(self.router.route, stripped[:MAX_INPUT], ctx.lang)
        lang = ctx.lang or route.lang
        if route.intent == "debrief":
            return await self.assess(stripped, ctx, lang)
        if route.intent == "question":
            return await self.ask(stripped, ctx, lang)
        return _simple("other", lang, SMALL_TALK)

    async def command(self, text: str, ctx: Context) -> Reply:
        """A slash command typed as text (the terminal; Telegram registers its own handlers)."""
        head, _, args = text.partition(" ")
        name = ALIASES.get(head[1:].split("@")[0].lower())
        lang = ctx.lang or self.default_lang
        args = args.strip()
        if name in {"bewerten", "frage"}:
            if not args:
                return Reply(intent="command", lang=lang, blocks=[Block(text=MISSING_ARG[name][lang])])
            return await (self.assess(args, ctx) if name == "bewerten" else self.ask(args, ctx))
        if self.commands is None or name is None:
            if name in {"start", "help"}:
                return _simple("command", lang, SMALL_TALK)
            return _simple("command", lang, UNKNOWN_COMMAND)
        c = self.commands
        dispatch = {
            "start": lambda: c.start(ctx),
            "help": lambda: c.help(ctx),
            "kunde": lambda: c.customer(args, ctx),
            "portfolio": lambda: c.portfolio(ctx),
            "sprache": lambda: c.language(args, ctx),
            "daten": lambda: c.privacy(ctx),
            "vergessen": lambda: c.forget_prompt(ctx),
            "export": lambda: c.export(ctx),
        }
        return await dispatch[name]()

    async def assess(self, text: str, ctx: Context, lang: Lang | None = None) -> Reply:
        """A debrief: the assessment, guidance and next step; stored when the rep is known."""
        stripped = text.strip()
        if not stripped:
            return _simple("debrief", lang or ctx.lang or self.default_lang, EMPTY)
        assessment: Assessment = await self._run(self.scorer.assess, stripped, lang or ctx.lang)
        lang = assessment.lang
        if "no_content" in assessment.flags:
            reply = _simple("debrief", lang, NO_CONTENT)
            reply.assessment = assessment
            return reply
        notice = None
        if self.llm is not None:
            assessment, notice = await self.llm.refine(stripped[:MAX_CHARS], assessment, lang)
        guidance, highlights = await self._run(self._guidance, stripped, assessment, lang)
        assessment = assessment.model_copy(update={"guidance": guidance})
        reply = debrief_reply(assessment, lang, min(len(stripped), MAX_CHARS), highlights)
        reply.notice = notice
        sources_block(reply, with_origin=False)
        if self.store is not None and ctx.user_id is not None:
            keep = self.store_notes and "adverse_event" not in assessment.flags
            try:
                reply.assessment_id = await self.store.record_assessment(
                    ctx.user_id, ctx.chat_id, assessment, stripped if keep else None
                )
            except Exception:  # the rep still gets the answer; the log says what failed
                log.exception("could not store assessment (user %s)", ctx.user_id)
        reply.actions = feedback_actions(reply.assessment_id, lang)
        return reply

    def _guidance(self, note: str, a: Assessment, lang: Lang) -> tuple[list[Guidance], list[str]]:
        """Passages on what to do with such a counterpart, and the sentence of each that fits best."""
        key = (a.relationship, a.tier.name if a.relationship == "kunde" else None)
        topics = list(_TOPICS_FOR.get(key, _TOPICS_FOR[("unklar", None)]))
        ids = {s.id for s in a.signals} | {s.id for s in a.value.signals}
        if "v_multiplikator" in ids:
            topics.append("kol-experten")
        described = "; ".join(CATALOGUE[s.id].label(lang) for s in a.relationship_signals[:3])
        query = f"{SITUATION[lang][a.relationship]} {described}. {note[:200]}"
        vector = self.retriever.embed(query)
        passages: list[Guidance] = []
        for p in self.retriever.search_vector(vector, 4, lang, topics):
            if len(passages) < 2 and all(p.title != q.title for q in passages):
                passages.append(p)  # two different documents, best first
        return passages, [best_sentence(p, _as_array(vector), self._sentences) for p in passages]

    async def ask(self, text: str, ctx: Context, lang: Lang | None = None) -> Reply:
        """A coaching question: an answer composed from the best passages, with numbered sources."""
        stripped = text.strip()[:2000]
        if not stripped:
            return _simple("question", lang or ctx.lang or self.default_lang, EMPTY)
        if lang is None:
            lang = ctx.lang or (await self._run(self.router.route, stripped, None)).lang
        qvec = await self._run(self.retriever.embed, stripped)
        found = await self._run(self.retriever.search_vector, qvec, 6, lang)
        # The answer is in the asker's language; the other language only fills in where it has to.
        passages = ([p for p in found if p.lang == lang] + [p for p in found if p.lang != lang])[:3]
        passages = [p for p in passages if p.score >= MIN_RELEVANCE]
        if not passages:
            return nothing_found(lang)
        notice = None
        if self.llm is not None:
            answer, info = await self.llm.answer(stripped, passages, lang)
            if answer:
                cited = [n for n in info if 1 <= n <= len(passages)] or list(range(1, len(passages) + 1))
                reply = Reply(intent="question", lang=lang, blocks=[Block(text=answer)])
                reply.sources = [Source(n=n, title=passages[n - 1].title, source=passages[n - 1].source) for n in cited]
                sources_block(reply)
                return reply
            notice = info
        reply = await self._run(answer_reply, _as_array(qvec), passages, self._sentences, lang)
        reply.notice = notice
        sources_block(reply)
        return reply

    def close(self) -> None:
        self._cpu.shutdown(wait=False, cancel_futures=True)


def _simple(intent: str, lang: Lang, texts: dict[str, str]) -> Reply:
    return Reply(intent=intent, lang=lang, blocks=[Block(text=texts[lang])])  # type: ignore[arg-type]


def _as_array(vec: Any) -> np.ndarray:
    return np.asarray(vec, dtype=np.float32)


def _embedder(retriever: Retriever) -> Callable[[list[str]], np.ndarray]:
    """A batch embedding function returning an array, whichever Embeddings the index uses."""
    emb = retriever.index.embeddings
    if hasattr(emb, "embed_array"):
        return emb.embed_array
    return lambda texts: np.asarray(emb.embed_documents(texts), dtype=np.float32)
