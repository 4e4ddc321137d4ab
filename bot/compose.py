"""Turning an assessment or a set of passages into a short Reply in the rep's language."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from bot.replies import Action, Block, Reply, Source
from scoring.models import Assessment, Guidance, Lang
from scoring.signals import CATALOGUE, RELATIONSHIP_NAMES, VALUE_NAMES

MAX_QUOTE = 90
MAX_SIGNALS_SHOWN = 3
REPLY_BUDGET = 900
GUIDANCE_CHARS = 150

REL_ICON = {"kunde": "🟢", "patient": "🔴", "unklar": "⚪"}
TEXT = {
    "de": {
        "value": "Wert",
        "time": "Zeit",
        "next": "Nächster Schritt",
        "ask": "Klären Sie",
        "guidance": "Dazu",
        "sources": "Quellen",
        "no_signals": "Die Notiz zeigt noch kein klares Verhalten des Kunden.",
        "adverse": "⚠️ Die Notiz erwähnt eine mögliche Nebenwirkung: Bitte melden Sie sie innerhalb der "
        "vorgeschriebenen Frist an die Arzneimittelsicherheit (Pharmakovigilanz). Der Text dieser Notiz wird "
        "nicht gespeichert.",
        "instruction": "Hinweis: Anweisungen an den Bot in der Notiz habe ich ignoriert; bewertet werden nur "
        "die geschilderten Fakten.",
        "truncated": "Hinweis: Die Notiz war sehr lang; bewertet habe ich die ersten {n} Zeichen.",
        "fb_ok": "✅ passt",
        "fb_kunde": "⬆ eher Kunde",
        "fb_patient": "⬇ eher Patient",
        "answer_intro": "Kurz gesagt:",
        "nothing": "Dazu finde ich in der Wissensbasis nichts Passendes, und "
        "ich will nichts erfinden. Fragen Sie gern zu Kunden und Patienten, Zeiteinteilung, A-D-Stufen, "
        "Kundenwert, Key Accounts, KOLs oder Gesprächsführung.",
    },
    "en": {
        "value": "Value",
        "time": "Time",
        "next": "Next step",
        "ask": "Settle it",
        "guidance": "Guidance",
        "sources": "Sources",
        "no_signals": "The note does not show any clear behaviour of the customer yet.",
        "adverse": "⚠️ The note mentions a possible side effect: please report it to drug safety "
        "(pharmacovigilance) within the required time. The text of this note is not stored.",
        "instruction": "Note: I ignored instructions to the bot inside the note; only the facts described count.",
        "truncated": "Note: the note was very long; I assessed its first {n} characters.",
        "fb_ok": "✅ fits",
        "fb_kunde": "⬆ more Kunde",
        "fb_patient": "⬇ more Patient",
        "answer_intro": "In short:",
        "nothing": "I find nothing fitting in the knowledge base for that, and I "
        "won't make things up. Ask me about customers and patients, time allocation, A-D tiers, customer "
        "value, key accounts, KOLs or conversation technique.",
    },
}


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    return text[: cut if cut > limit // 2 else limit - 1] + "…"


def feedback_actions(assessment_id: int | None, lang: Lang) -> list[Action]:
    if assessment_id is None:
        return []
    t = TEXT[lang]
    return [
        Action(label=t["fb_ok"], data=f"fb:{assessment_id}:ok"),
        Action(label=t["fb_kunde"], data=f"fb:{assessment_id}:kunde"),
        Action(label=t["fb_patient"], data=f"fb:{assessment_id}:patient"),
    ]


def _quote(text: str, lang: Lang) -> str:
    short = shorten(text, MAX_QUOTE)
    return f"„{short}“" if lang == "de" else f'"{short}"'


def debrief_reply(a: Assessment, lang: Lang, scored_chars: int, highlights: list[str] | None = None) -> Reply:
    """Relationship, the strongest evidence, value, tier and time, the next step, 1-2 passages.

    A typical reply fits a phone screen (REPLY_BUDGET characters): the second passage is only added
    when there is room for it.
    """
    t = TEXT[lang]
    name = RELATIONSHIP_NAMES[lang][a.relationship]
    name = name[0].upper() + name[1:]
    percent = min(int(a.confidence * 100), 99)  # never "100 %": it is an estimate
    percent_text = f"{percent} %" if lang == "de" else f"{percent}%"
    title = f"{REL_ICON[a.relationship]} {name} ({percent_text}) · Tier {a.tier.name} – {a.tier.label}"
    blocks = [Block(kind="title", text=title)]
    shown = a.relationship_signals[:MAX_SIGNALS_SHOWN]
    if shown:
        # One line per quoted span: several signals often rest on the same words.
        by_quote: dict[str, list[str]] = {}
        for sig in shown:
            by_quote.setdefault(sig.quote, []).append(CATALOGUE[sig.id].label(lang))
        items = [f"{' · '.join(labels)}: {_quote(quote, lang)}" for quote, labels in by_quote.items()]
        blocks.append(Block(kind="bullets", items=items))
    else:
        blocks.append(Block(text=t["no_signals"]))
    value_line = f"{t['value']}: {VALUE_NAMES[lang][a.value.level]}"
    if a.value.signals:
        value_line += " (" + ", ".join(CATALOGUE[s.id].label(lang) for s in a.value.signals[:2]) + ")"
    blocks.append(Block(text=value_line))
    blocks.append(Block(text=f"{t['time']}: {a.tier.time_investment}"))
    label = t["ask"] if a.next_step.is_question else t["next"]
    blocks.append(Block(text=f"👉 {label}: {a.next_step.action}"))
    hints = []
    if "adverse_event" in a.flags:
        hints.append(Block(kind="hint", text=t["adverse"]))
    if "instruction_ignored" in a.flags:
        hints.append(Block(kind="hint", text=t["instruction"]))
    if "truncated" in a.flags:
        hints.append(Block(kind="hint", text=t["truncated"].format(n=scored_chars)))
    reply = Reply(intent="debrief", lang=lang, blocks=blocks + hints, assessment=a)
    used = len(reply.plain_text())
    items: list[str] = []
    for i, g in enumerate(a.guidance):
        sentence = highlights[i] if highlights and i < len(highlights) else first_sentences(g.text, 1)
        item = f"📚 {shorten(sentence, GUIDANCE_CHARS)} [{len(items) + 1}]"
        if items and used + len(item) + len(g.title) + 8 > REPLY_BUDGET:
            break
        items.append(item)
        used += len(item) + len(g.title) + 8
        reply.sources.append(Source(n=len(items), title=g.title, source=g.source))
    if items:
        reply.blocks.insert(len(blocks), Block(kind="bullets", items=items))
    return reply


_SENTENCE = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"“”»']))\s+(?=[A-ZÄÖÜ\"„“])")
_MARKUP = re.compile(r"\*\*|__|`|^#+\s*|^\s*[-*]\s+|^\s*\d+\.\s+", re.MULTILINE)


def plain(text: str) -> str:
    """Markdown emphasis, list marks and heading marks removed: passages are shown as plain sentences."""
    return _MARKUP.sub("", text)


def first_sentences(text: str, n: int) -> str:
    body = text.split("\n", 1)[1] if "\n" in text else text  # skip the section heading
    return " ".join(_SENTENCE.split(" ".join(plain(body).split()))[:n])


def _balanced_quotes(sentence: str) -> bool:
    """A sentence cut out of the middle of a quotation reads wrong on its own."""
    if sentence.count('"') % 2:
        return False
    if "„" in sentence:  # German quotes open with „ and close with “
        return sentence.count("„") == sentence.count("“")
    return sentence.count("“") == sentence.count("”")


def split_sentences(text: str) -> list[str]:
    body = plain(text.split("\n", 1)[1] if "\n" in text else text)
    # Questions in a passage are usually its sub-headings, not answers.
    return [
        s.strip()
        for s in _SENTENCE.split(" ".join(body.split()))
        if len(s.strip()) > 25 and not s.strip().endswith("?") and _balanced_quotes(s)
    ]


def best_sentence(passage: Guidance, query_vec: np.ndarray, embed: Callable[[list[str]], np.ndarray]) -> str:
    """The passage's sentence closest to the query: the one line of guidance worth showing."""
    sentences = split_sentences(passage.text)[:8]
    if not sentences:
        return first_sentences(passage.text, 1)
    scores = embed(sentences) @ query_vec
    return sentences[int(np.argmax(scores))]


def answer_reply(question_vec: np.ndarray, passages: list[Guidance], embed, lang: Lang, max_points: int = 4) -> Reply:
    """An extractive answer: the passage sentences closest to the question, each with its source number."""
    candidates: list[tuple[int, str]] = []
    for n, p in enumerate(passages, 1):
        candidates += [(n, s) for s in split_sentences(p.text)[:8]]
    if not candidates:
        return Reply(intent="question", lang=lang, blocks=[Block(text=TEXT[lang]["nothing"])])
    vectors = embed([s for _, s in candidates])
    scores = vectors @ question_vec
    # Earlier passages rank higher; within that, sentences closest to the question.
    order = np.argsort(-(scores - 0.03 * np.array([n for n, _ in candidates])))
    picked: list[tuple[int, int, str]] = []
    per_passage: dict[int, int] = {}
    for i in order:
        n, sentence = candidates[int(i)]
        if per_passage.get(n, 0) >= 2:
            continue
        per_passage[n] = per_passage.get(n, 0) + 1
        picked.append((n, int(i), sentence))
        if len(picked) == max_points:
            break
    picked.sort(key=lambda item: (item[0], item[1]))
    # Two passages of one document share one source number.
    numbers: dict[tuple[str, str], int] = {}
    sources: list[Source] = []
    items = []
    for n, _, sentence in picked:
        p = passages[n - 1]
        key = (p.title, p.source)
        if key not in numbers:
            numbers[key] = len(numbers) + 1
            sources.append(Source(n=numbers[key], title=p.title, source=p.source))
        items.append(f"{shorten(sentence, 260)} [{numbers[key]}]")
    blocks = [Block(kind="title", text=TEXT[lang]["answer_intro"]), Block(kind="bullets", items=items)]
    return Reply(intent="question", lang=lang, blocks=blocks, sources=sources)


def sources_block(reply: Reply, with_origin: bool = True) -> None:
    """Append the numbered source list; debriefs keep it short (titles only) to fit a phone screen."""
    if reply.sources:
        t = TEXT[reply.lang]
        items = [f"[{s.n}] {s.title}" + (f" ({s.source})" if with_origin else "") for s in reply.sources]
        reply.blocks.append(Block(kind="source_list", text=t["sources"], items=items))


def nothing_found(lang: Lang) -> Reply:
    return Reply(intent="question", lang=lang, blocks=[Block(text=TEXT[lang]["nothing"])])
