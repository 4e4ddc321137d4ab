"""Text basics shared by scoring and retrieval: language guess, sentence spans, normalisation."""

from __future__ import annotations

import re
import unicodedata

from scoring.models import Lang

_DE_WORDS = frozenset(
    "der die das und ist nicht ein eine einen mit auf für von zu den dem des sich auch wie wir ich er sie "
    "hat haben wird will wollen bei nur noch schon mal heute über aber oder wenn weil dass kein keine "
    "nach vor seit ihm ihr ihn uns euch mir mich was wer warum soll sollte kann kunde kunden gespräch termin "
    "immer wieder jetzt früher sehr gut mehr viel unsere unser sein seine im am zum zur beim".split()
)
_EN_WORDS = frozenset(
    "the and is not a an with on for of to in it he she they we i you has have had will wants want would "
    "but or if because that no none after before since him her them us me what who why should can could "
    "customer meeting call always again now used very good more much our his their at by from this was "
    "were be been are do does did how".split()
)
_WORD = re.compile(r"[a-zäöüß]+", re.IGNORECASE)


def detect_lang(text: str, default: Lang = "de") -> Lang:
    """German or English, by common function words; umlauts tip the balance towards German."""
    words = _WORD.findall(text.lower())
    de = sum(w in _DE_WORDS for w in words) + 2 * sum(ch in "äöüß" for ch in text.lower())
    en = sum(w in _EN_WORDS for w in words)
    if de == en:
        return default
    return "de" if de > en else "en"


# A sentence ends at . ! ? ; or a line break, but not inside abbreviations like "Hr." "Dr." "ca." "z.B."
# or numbers like "1,5 Mio." followed by a lowercase word.
_ABBREV = re.compile(
    r"(?:\b(?:hr|fr|dr|prof|ca|bzw|z\.b|u\.a|inkl|evtl|ggf|mio|mrd|tsd|nr|st|mr|ms|mrs|vs|etc|approx|"
    r"jan|feb|mär|apr|jun|jul|aug|sep|sept|okt|oct|nov|dez|dec|kw|gf|std|min|max|abt|zzgl|ggü|usw)\.$)|"
    r"(?:\b\d{1,2}\.$)",
    re.IGNORECASE,
)
_BOUNDARY = re.compile(r"[.!?;…]+[\"“”'»)]*\s+|\n+|\s+[–—-]\s+(?=[A-ZÄÖÜ])|\s*[•·]\s*")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Spans (start, end) of the sentences in `text`, trimmed of surrounding whitespace."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        candidate = text[start : m.start() + 1].rstrip()
        if m.group().strip().startswith(".") and _ABBREV.search(candidate):
            nxt = text[m.end() : m.end() + 1]
            if not nxt or not nxt.isupper():
                continue
        end = m.start() + len(m.group().rstrip())
        _add_span(text, start, end, spans)
        start = m.end()
    _add_span(text, start, len(text), spans)
    return spans


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in "-–—•·"):
        end -= 1
    if end > start and any(ch.isalnum() for ch in text[start:end]):
        spans.append((start, end))


def fold(text: str) -> str:
    """Lower-case, accents removed and umlauts expanded: "Müller" and "Mueller" compare equal."""
    text = text.lower().replace("ß", "ss").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))
