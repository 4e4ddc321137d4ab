"""Text basics shared by scoring and retrieval: language guess, sentence spans, normalisation."""

from __future__ import annotations

import re
import unicodedata

from scoring.models import Lang

_DE_WORDS = frozenset(
    [
        "der",
        "die",
        "das",
        "und",
        "ist",
        "nicht",
        "ein",
        "eine",
        "einen",
        "mit",
        "auf",
        "für",
        "von",
        "zu",
        "den",
        "dem",
        "des",
        "sich",
        "auch",
        "wie",
        "wir",
        "ich",
        "er",
        "sie",
        "hat",
        "haben",
        "wird",
        "will",
        "wollen",
        "bei",
        "nur",
        "noch",
        "schon",
        "mal",
        "heute",
        "über",
        "aber",
        "oder",
        "wenn",
        "weil",
        "dass",
        "kein",
        "keine",
        "nach",
        "vor",
        "seit",
        "ihm",
        "ihr",
        "ihn",
        "uns",
        "euch",
        "mir",
        "mich",
        "was",
        "wer",
        "warum",
        "soll",
        "sollte",
        "kann",
        "kunde",
        "kunden",
        "gespräch",
        "termin",
        "immer",
        "wieder",
        "jetzt",
        "früher",
        "sehr",
        "gut",
        "mehr",
        "viel",
        "unsere",
        "unser",
        "sein",
        "seine",
        "im",
        "am",
        "zum",
        "zur",
        "beim",
    ]
)
_EN_WORDS = frozenset(
    [
        "the",
        "and",
        "is",
        "not",
        "a",
        "an",
        "with",
        "on",
        "for",
        "of",
        "to",
        "in",
        "it",
        "he",
        "she",
        "they",
        "we",
        "i",
        "you",
        "has",
        "have",
        "had",
        "will",
        "wants",
        "want",
        "would",
        "but",
        "or",
        "if",
        "because",
        "that",
        "no",
        "none",
        "after",
        "before",
        "since",
        "him",
        "her",
        "them",
        "us",
        "me",
        "what",
        "who",
        "why",
        "should",
        "can",
        "could",
        "customer",
        "meeting",
        "call",
        "always",
        "again",
        "now",
        "used",
        "very",
        "good",
        "more",
        "much",
        "our",
        "his",
        "their",
        "at",
        "by",
        "from",
        "this",
        "was",
        "were",
        "be",
        "been",
        "are",
        "do",
        "does",
        "did",
        "how",
    ]
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


# A sentence ends at . ! ? ; or a line break, but not after a title ("Hr." "Dr." "Mr.") or a
# mid-sentence abbreviation ("ca." "inkl."); after "Mio." or a date it ends only if a capital follows.
_TITLE_ABBREV = re.compile(
    r"\b(?:hr|hrn|fr|dr|prof|mr|mrs|ms|st|ca|inkl|bzw|zzgl|evtl|ggf|z\.\s?b|u\.\s?a|vs|approx|nr|abt|ggü|"
    r"lt|gem|geb|tel|ggfs|v|sog|resp|bspw|insb)\.$",
    re.IGNORECASE,
)
_SOFT_ABBREV = re.compile(
    r"(?:\b(?:mio|mrd|tsd|etc|usw|kw|std|min|max|jan|feb|mär|apr|jun|jul|aug|sep|sept|okt|oct|nov|dez|dec|"
    r"p\.a|j|jhd)\.$)|(?:\d{1,2}\.$)",
    re.IGNORECASE,
)
_BOUNDARY = re.compile(r"[.!?;…]+[\"“”'»)]*\s+|\n+|\s+[–—]\s+|\s+-\s+(?=[A-ZÄÖÜ])|\s*[•·]\s*")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Spans (start, end) of the sentences in `text`, trimmed of surrounding whitespace."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        candidate = text[start : m.start() + 1].rstrip()
        if m.group().lstrip().startswith("."):
            if _TITLE_ABBREV.search(candidate):
                continue
            nxt = text[m.end() : m.end() + 1]
            if _SOFT_ABBREV.search(candidate) and not (nxt.isupper() or nxt.isdigit() is False and not nxt.isalpha()):
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
    if end > start and any(ch.isalpha() for ch in text[start:end]):  # figures alone say nothing of behaviour
        spans.append((start, end))


def fold(text: str) -> str:
    """Lower-case, accents removed and umlauts expanded: "Müller" and "Mueller" compare equal."""
    text = text.lower().replace("ß", "ss").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))
