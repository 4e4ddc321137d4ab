"""Feature vectors for clauses and notes: embeddings, their negated copy, scope marks, hashed words, money."""

from __future__ import annotations

import math
import re
import zlib

import numpy as np

from scoring.amounts import Amount, largest_per_year
from scoring.segments import Segment

EMBED_DIM = 512
HASH_BUCKETS = 2048
CHAR_BUCKETS = 4096
AMOUNT_FEATURES = 4
FLAG_FEATURES = 6


def segment_dim() -> int:
    return 3 * EMBED_DIM + FLAG_FEATURES + AMOUNT_FEATURES + HASH_BUCKETS + CHAR_BUCKETS


def _bucket(token: str) -> int:
    return zlib.crc32(token.encode("utf-8")) % HASH_BUCKETS


def hashed_words(tokens: list[str]) -> np.ndarray:
    """Unigrams and bigrams of the folded words, hashed and L2-normalised."""
    vec = np.zeros(HASH_BUCKETS, dtype=np.float32)
    for tok in tokens:
        vec[_bucket(tok)] = 1.0
    for a, b in zip(tokens, tokens[1:], strict=False):
        vec[_bucket(f"{a} {b}")] = 1.0
    norm = np.linalg.norm(vec)
    return vec / norm if norm else vec


def hashed_chargrams(tokens: list[str]) -> np.ndarray:
    """Character 3-5-grams of each word: typos, abbreviations and German compounds still match
    ("Angbeot", "Ang.", "Rahmenvertragsangebot"). Words in a negation's scope hash apart."""
    vec = np.zeros(CHAR_BUCKETS, dtype=np.float32)
    for tok in tokens:
        negated = tok.startswith("not_")
        word = f"<{tok[4:] if negated else tok}>"
        mark = "!" if negated else ""
        for n in (3, 4, 5):
            for i in range(len(word) - n + 1):
                vec[zlib.crc32((mark + word[i : i + n]).encode("utf-8")) % CHAR_BUCKETS] = 1.0
    norm = np.linalg.norm(vec)
    return vec / norm if norm else vec


def amount_features(amounts: list[Amount]) -> list[float]:
    top = largest_per_year(amounts) or 0.0
    return [float(bool(amounts)), math.log10(top + 1.0) / 7.0, float(top >= 1e5), float(top >= 1e6)]


def neighbour_context(embeddings: np.ndarray) -> np.ndarray:
    """Half the mean of the clauses before and after: "aber", "trotzdem" or a rep's aside read
    differently next to what surrounds them."""
    ctx = np.zeros_like(embeddings)
    for i in range(len(embeddings)):
        around = [j for j in (i - 1, i + 1) if 0 <= j < len(embeddings)]
        if around:
            ctx[i] = embeddings[around].mean(axis=0) * 0.5
    return ctx


def segment_matrix(segments: list[Segment], embeddings: np.ndarray, amounts: list[Amount]) -> np.ndarray:
    """One row per clause. The negated copy of the embedding lets a linear model flip a signal."""
    rows = np.zeros((len(segments), segment_dim()), dtype=np.float32)
    context = neighbour_context(np.asarray(embeddings[: len(segments)], dtype=np.float32))
    for i, seg in enumerate(segments):
        emb = embeddings[i]
        inside = [a for a in amounts if a.start >= seg.start and a.end <= seg.end]
        rows[i, :EMBED_DIM] = emb
        if seg.negated:
            rows[i, EMBED_DIM : 2 * EMBED_DIM] = emb
        rows[i, 2 * EMBED_DIM : 3 * EMBED_DIM] = context[i]
        o = 3 * EMBED_DIM
        rows[i, o : o + FLAG_FEATURES] = seg.flags()
        o += FLAG_FEATURES
        rows[i, o : o + AMOUNT_FEATURES] = amount_features(inside)
        o += AMOUNT_FEATURES
        rows[i, o : o + HASH_BUCKETS] = hashed_words(seg.tokens)
        o += HASH_BUCKETS
        rows[i, o:] = hashed_chargrams(seg.tokens)
    return rows


# Cues about size that change the value level but are no signal of their own.
_SMALL = re.compile(
    r"\b(klein\w*|kleinst\w*|gering\w*|winzig\w*|kaum|wenig|überschaubar\w*|einzelpraxis|ein-mann|"
    r"small|tiny|minor|modest|little|few|one-man|sole trader|micro|keine (?:expansion|wachstum\w*|"
    r"investition\w*)|no (?:expansion|growth)|stay small|bleib\w* klein)\b",
    re.IGNORECASE,
)
_LARGE = re.compile(
    r"\b(größt\w*|groesst\w*|biggest|largest|top[- ]?\d+|konzern\w*|marktführer\w*|market leader|"
    r"strategisch\w*|strategic|key account|a-kunde|flagship|major|enterprise|nationwide|bundesweit|"
    r"international\w*|global\w*)\b",
    re.IGNORECASE,
)

VALUE_SIGNAL_ORDER = ("v_umsatz", "v_potenzial", "v_multiplikator", "v_bindung")


def note_profile(rows: np.ndarray) -> np.ndarray:
    """The mean clause row: the note's overall tone (embeddings) and wording (hashed words and n-grams)."""
    if len(rows) == 0:
        return np.zeros(segment_dim(), dtype=np.float32)
    return rows.mean(axis=0)


_QUANTITY = re.compile(
    r"\b\d[\d.,]*\s?(?:[a-zäöüß]+\.?\s?)?(?:/|pro|per|a|im|je)\s?(?:jahr|j|monat|woche|tag|year|yr|month|week|day|"
    r"quartal|quarter)\b|\b\d[\d.,]*\s?(?:mitarbeiter\w*|ma|employees|staff|lizenzen|licen[cs]es|seats|fahrzeug\w*|fzg|"
    r"trucks|lkw|paletten|pallets|ladungen|loads|pakete|parcels|betten|beds|kliniken|hospitals|filialen|branches|"
    r"standorte|sites|praxen|patient\w*|pts|pat\.|maschinen|machines|anlagen|tonnen|tons|stück|units)\b",
    re.IGNORECASE,
)


def value_note_features(
    note: str, value_probs: dict[str, float], rows: np.ndarray, amounts: list[Amount]
) -> np.ndarray:
    top = largest_per_year(amounts) or 0.0
    feats = [value_probs.get(s, 0.0) for s in VALUE_SIGNAL_ORDER]
    feats += [
        float(bool(amounts)),
        math.log10(top + 1.0) / 7.0,
        float(0 < top < 2e4),
        float(2e4 <= top < 2e5),
        float(2e5 <= top < 1e6),
        float(top >= 1e6),
        float(bool(_SMALL.search(note))),
        float(bool(_LARGE.search(note))),
        float(len(note) < 80),
        float(bool(_QUANTITY.search(note))),
    ]
    return np.concatenate([np.asarray(feats, dtype=np.float32), note_profile(rows)[:EMBED_DIM]])


def pole_features(rel_probs: dict[str, list[float]], order: tuple[str, ...]) -> list[float]:
    """A clause mostly speaks for one pole: a Patient reading on a clause that reads Kunde even more
    strongly is weaker evidence than one on a clause of its own."""
    k = np.array([rel_probs.get(s, [0.0]) for s in order if s.startswith("k_")], dtype=np.float32).max(axis=0)
    p = np.array([rel_probs.get(s, [0.0]) for s in order if s.startswith("p_")], dtype=np.float32).max(axis=0)
    return [
        float((k * (1 - p)).max()),
        float((p * (1 - k)).max()),
        float(1 - np.prod(1 - k)),
        float(1 - np.prod(1 - p)),
        float(bool((k > p).any() and (p > k).any())),
    ]


def relationship_note_features(
    rel_probs: dict[str, list[float]], order: tuple[str, ...], segments: list[Segment], rows: np.ndarray
) -> np.ndarray:
    """Per signal its strongest clause and its spread; then the balance between the two poles."""
    feats: list[float] = pole_features(rel_probs, order)
    k_max = p_max = k_sum = p_sum = 0.0
    for sid in order:
        probs = rel_probs.get(sid, [0.0])
        top = max(probs)
        spread = min(sum(probs), 3.0) / 3.0
        feats += [top, spread]
        if sid.startswith("k_"):
            k_max, k_sum = max(k_max, top), k_sum + top
        else:
            p_max, p_sum = max(p_max, top), p_sum + top
    feats += [
        k_max,
        p_max,
        k_sum / 3.0,
        p_sum / 3.0,
        (k_sum - p_sum) / 3.0,
        float(any(s.irony for s in segments)),
        math.log1p(len(segments)) / 3.0,
    ]
    return np.concatenate([np.asarray(feats, dtype=np.float32), note_profile(rows)])
