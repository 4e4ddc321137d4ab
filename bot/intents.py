"""Routing: is a message a debrief, a coaching question, a command or something else; German or English."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

import numpy as np

from bot.replies import Intent
from scoring.amounts import find_amounts
from scoring.model import softmax
from scoring.models import Lang
from scoring.text import detect_lang

MODEL_FILE = "intent_model.npz"
LABELS: tuple[Intent, ...] = ("debrief", "question", "other")

_QUESTION_WORD = re.compile(
    r"^\W*(wie|was|warum|wieso|weshalb|wann|welche\w*|woran|wo|wer|soll\w*|kann|könn\w*|darf|muss|ist|sind|"
    r"gibt|lohnt|how|what|why|when|which|who|where|should|can|could|is|are|does|do|would|will|any)\b",
    re.IGNORECASE,
)
_COACHING = re.compile(
    r"\b(tipps?|tips?|erklär\w*|explain|rat|advice|umgehen|umgang|deal with|handle|erkennen|recognise|"
    r"recognize|identify|unterschied|difference|bedeutet|mean|kriterien|criteria|am besten|best way)\b",
    re.IGNORECASE,
)
_PERSON = re.compile(r"\b(Hr\.|Herr|Fr\.|Frau|Dr\.|Prof\.|Mr\.?|Mrs\.?|Ms\.?|GmbH|AG|KG|Ltd|Inc|LLC)\b")
_CALL = re.compile(
    r"\b(heute|gestern|termin|gespräch|meeting|mtg|call|anruf|telefonat|besuch|visit|met|traf|getroffen|"
    r"hat (?:mir|uns)|wollte|sagte|meinte|fragte|asked|said|told|wants|signed|unterschrieben|o-?ton)\b",
    re.IGNORECASE,
)
_THIRD = re.compile(r"\b(er|sie|ihm|ihr|he|she|they|him|her|them)\b", re.IGNORECASE)
_FIRST = re.compile(r"\b(ich|mein\w*|mir|mich|i|my|me)\b", re.IGNORECASE)
_LETTER = re.compile(r"[A-Za-zÄÖÜäöüß]")


def lexical_features(text: str) -> np.ndarray:
    stripped = text.strip()
    words = stripped.split()
    feats = [
        float(stripped.endswith("?")),
        float("?" in stripped),
        float(bool(_QUESTION_WORD.search(stripped))),
        float(bool(_COACHING.search(stripped))),
        float(bool(_PERSON.search(stripped))),
        min(len(_CALL.findall(stripped)), 4) / 4,
        min(len(_THIRD.findall(stripped)), 4) / 4,
        min(len(_FIRST.findall(stripped)), 3) / 3,
        float(bool(find_amounts(stripped))),
        float(any(ch.isdigit() for ch in stripped)),
        math.log1p(len(stripped)) / 7,
        min(len(words), 60) / 60,
        float(len(words) <= 3),
        float(not _LETTER.search(stripped)),
    ]
    return np.asarray(feats, dtype=np.float32)


@dataclass(frozen=True)
class Route:
    intent: Intent
    lang: Lang
    confidence: float


class IntentRouter:
    def __init__(self, w: np.ndarray, b: np.ndarray, embed: Callable[[list[str]], np.ndarray]) -> None:
        self.w, self.b, self.embed = w, b, embed

    @classmethod
    def default(cls) -> IntentRouter:
        from knowledge.embeddings import USEEmbeddings

        data = resources.files("bot").joinpath(MODEL_FILE).read_bytes()
        with np.load(io.BytesIO(data)) as z:
            return cls(z["w"], z["b"], USEEmbeddings().embed_array)

    def features(self, texts: list[str], vectors: np.ndarray | None = None) -> np.ndarray:
        vectors = self.embed([t[:1000] for t in texts]) if vectors is None else vectors
        return np.hstack([vectors, np.vstack([lexical_features(t) for t in texts])])

    def route(self, text: str, lang_hint: Lang | None = None) -> Route:
        stripped = text.strip()
        lang = detect_lang(stripped, default=lang_hint or "de")
        if stripped.startswith("/"):
            return Route("command", lang, 1.0)
        if not _LETTER.search(stripped) or len(stripped) < 2:
            return Route("other", lang_hint or lang, 1.0)
        probs = softmax(self.features([stripped]) @ self.w + self.b)[0]
        best = int(np.argmax(probs))
        return Route(LABELS[best], lang, float(probs[best]))
