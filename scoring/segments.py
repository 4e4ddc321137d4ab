"""Splitting a note into clauses and marking each clause's scope: negation, past, hearsay, irony, instructions.

Embeddings cannot tell "will eine Lösung" from "will keine Lösung", and a signal the customer showed
"früher" is not a current one. These marks, computed per clause, give the learned model what it lacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from scoring.text import fold, sentence_spans

# Split a sentence before a turn: contrast ("aber", "but") or a change in time ("jetzt", "now").
_PIVOT = re.compile(
    r"(?:,\s*|\s+)(?=(?:aber|jedoch|doch|allerdings|dafür|während|but|however|whereas|although|though|"
    r"jetzt|nun|inzwischen|mittlerweile|seitdem|seit|heute|now|nowadays|these days|since|lately|today)\b)"
    r"|(?::\s+)(?=\S)",
    re.IGNORECASE,
)
MIN_CLAUSE_WORDS = 3
# One word between a comma and the pivot ("…, hat aber wieder …") belongs to the clause that follows.
_VERB_BEFORE_PIVOT = re.compile(r",\s*(\w+)\s*$")

NEGATORS = frozenset(
    [
        "kein",
        "keine",
        "keinen",
        "keinem",
        "keiner",
        "keines",
        "nicht",
        "nie",
        "niemals",
        "nichts",
        "ohne",
        "weder",
        "noch-nie",
        "nirgends",
        "no",
        "not",
        "never",
        "none",
        "nothing",
        "without",
        "neither",
        "nor",
        "cannot",
        "cant",
        "dont",
        "doesnt",
        "didnt",
        "wont",
        "isnt",
        "wasnt",
        "arent",
        "havent",
        "hasnt",
        "hadnt",
        "wouldnt",
        "couldnt",
        "shouldnt",
    ]
)
_PAST = re.compile(
    r"\b(früher|frueher|damals|ehemals|einst|anfangs|bisher|bislang|vorher|zuvor|war mal|"
    r"used to|formerly|previously|in the past|back then|at first|originally|once was|until recently|"
    r"bis vor kurzem|bis letztes jahr|in den ersten|vor dem wechsel|before the)\b",
    re.IGNORECASE,
)
_HEARSAY = re.compile(
    r"\b(laut (?:seinem|ihrem|dem|der)|(?:kollege|kollegin|vorgänger|vorgängerin|predecessor|colleague)\w*\s+"
    r"(?:meinte|sagte|sagt|erzählte|said|says|told|warned)|gerüchte\w*|rumou?rs?|i heard|hab gehört|"
    r"habe gehört|soll (?:angeblich|wohl))\b",
    re.IGNORECASE,
)
_IRONY = re.compile(
    r"🙄|😒|🤦|🙃|😤|\(not\)|/s\b|\bja klar\b|\bna toll\b|\bna super\b|\byeah right\b|\bsure, ?sure\b|"
    r"\bironie\b|\birony\b|[\"'„“‚‘]\s*(?:super|toll|great|fantastic|wonderful|amazing|konstruktiv\w*|"
    r"produktiv\w*|productive|lovely|spannend\w*|exciting|hilfreich\w*|helpful)\s*[\"'“”‘’]",
    re.IGNORECASE,
)
_INSTRUCTION = re.compile(
    r"(?:\b(?:ignore|ignoriere|vergiss|forget|disregard)\b.{0,40}\b(?:instruction|anweisung|regel|rule|"
    r"prompt|previous|vorherig|alle|all)\w*)"
    r"|(?:\b(?:bitte|please|pls|bot|assistant|assistent|ki|ai)\b.{0,60}\b(?:als|as)\s+(?:tier\s*|stufe\s*|"
    r"kategorie\s*|a-?)?(?:[ABCD]|kunde|patient|customer|a-kunde|a-customer)\b)"
    r"|(?:\b(?:gib|give|setz|set|mark|markier\w*|einstuf\w*|rate|bewert\w*|classify|klassifizier\w*)\b"
    r".{0,30}\b(?:tier|stufe|kategorie|category)\s*[ABCD]\b)"
    r"|(?:\b(?:tier|stufe)\s*[ABCD]\s*(?:geben|vergeben|eintragen|please|bitte)\b)"
    r"|(?:^\s*(?:system|assistant|admin)\s*:)|(?:\byou are now\b|\bdu bist (?:jetzt|ab sofort)\b)",
    re.IGNORECASE,
)
_QUOTE = re.compile(r"[\"„“”«»]|(?:\bO-?Ton\b)|(?:\bquote\b)", re.IGNORECASE)
_TOKEN = re.compile(r"[a-z0-9äöüß]+(?:'[a-z]+)?", re.IGNORECASE)


@dataclass
class Segment:
    start: int
    end: int
    text: str
    negated: bool = False
    past: bool = False
    hearsay: bool = False
    irony: bool = False
    instruction: bool = False
    quoted: bool = False
    question: bool = False
    tokens: list[str] = field(default_factory=list)  # folded words; words in a negation's scope get "not_"

    def flags(self) -> list[float]:
        return [
            float(self.negated),
            float(self.past),
            float(self.hearsay),
            float(self.irony),
            float(self.quoted),
            float(self.question),
        ]


FLAG_NAMES = ("negated", "past", "hearsay", "irony", "quoted", "question")


def segment_note(text: str) -> list[Segment]:
    """The note's clauses, in order, with their scope marks; offsets index into `text`."""
    segments: list[Segment] = []
    for s_start, s_end in sentence_spans(text):
        for c_start, c_end in _clauses(text, s_start, s_end):
            segments.append(_mark(text, c_start, c_end))
    return segments


def _clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    cuts = [start]
    for m in _PIVOT.finditer(text, start, end):
        cut = m.end()
        verb = _VERB_BEFORE_PIVOT.search(text, cuts[-1], m.start())
        if verb and m.group().strip() == "":
            cut = verb.start(1)  # German word order: "…, hat aber …" turns at the verb, not after it
        if len(text[cuts[-1] : cut].split()) >= MIN_CLAUSE_WORDS and len(text[cut:end].split()) >= 2:
            cuts.append(cut)
    cuts.append(end)
    spans = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        while b > a and text[b - 1] in " ,;:–-":
            b -= 1
        if b > a:
            spans.append((a, b))
    return spans


def _mark(text: str, start: int, end: int) -> Segment:
    clause = text[start:end]
    tokens, negated = negation_scoped_tokens(clause)
    return Segment(
        start=start,
        end=end,
        text=clause,
        negated=negated,
        past=bool(_PAST.search(clause)),
        hearsay=bool(_HEARSAY.search(clause)),
        irony=bool(_IRONY.search(clause)),
        instruction=bool(_INSTRUCTION.search(clause)),
        quoted=bool(_QUOTE.search(clause)),
        question=clause.rstrip().endswith("?"),
        tokens=tokens,
    )


def negation_scoped_tokens(clause: str, scope: int = 4) -> tuple[list[str], bool]:
    """Folded words; the few words after a negator are prefixed "not_" (the classic sentiment trick)."""
    out: list[str] = []
    remaining = 0
    negated = False
    for raw in _TOKEN.findall(clause):
        word = fold(raw).replace("'", "")
        if word in NEGATORS or word.endswith("nt") and word[:-2] + "nt" in NEGATORS:
            remaining = scope
            negated = True
            out.append(word)
            continue
        if word in {"mehr", "longer", "more"} and out and out[-1] in {"nicht", "no", "kein", "keine"}:
            out.append(word)  # "nicht mehr" / "no longer": the scope is already open
            continue
        out.append(f"not_{word}" if remaining else word)
        remaining = max(0, remaining - 1)
    return out, negated


def is_instruction(text: str) -> bool:
    return bool(_INSTRUCTION.search(text))
