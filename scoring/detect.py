"""The Scorer: a note in, a validated Assessment out. Pure: the embedding function is handed in."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from scoring.amounts import find_amounts, largest_per_year
from scoring.customer import customer_key, extract_customer
from scoring.features import relationship_note_features, segment_matrix, value_note_features
from scoring.model import ScoringModel
from scoring.models import Assessment, Lang, SignalHit, Value
from scoring.next_step import choose_next_step
from scoring.policy import Policy
from scoring.segments import Segment, segment_note
from scoring.signals import CATALOGUE, RELATIONSHIP_SIGNALS, VALUE_SIGNALS, agrees_with_verdict
from scoring.text import detect_lang

Embed = Callable[[list[str]], np.ndarray]

# Longer notes are scored on their first part, and the reply says so; time stays linear in length.
MAX_CHARS = 6000
# Below this, too little was said to call anyone a Kunde or a Patient.
MIN_CONFIDENCE = 0.4
ADVERSE_EVENT_WORDS = (
    "nebenwirkung",
    "unverträglichkeit",
    "unvertraeglichkeit",
    "allergische reaktion",
    "allergisch reagiert",
    "unerwünschte wirkung",
    "unerwuenschte wirkung",
    "unerwünschtes ereignis",
    "adverse event",
    "adverse reaction",
    "side effect",
    "side-effect",
    "intolerance",
    "allergic reaction",
)


class Scorer:
    def __init__(self, model: ScoringModel, embed: Embed, policy: Policy) -> None:
        self.model = model
        self.embed = embed
        self.policy = policy
        self._index = {sid: i for i, sid in enumerate(model.signal_ids)}

    def assess(self, text: str, lang: Lang | None = None) -> Assessment:
        flags: list[str] = []
        if len(text) > MAX_CHARS:
            flags.append("truncated")
        scored_text = text[:MAX_CHARS]
        lang = lang or detect_lang(scored_text)
        if has_adverse_event(text):
            flags.append("adverse_event")
        segments = segment_note(scored_text)
        if any(s.instruction for s in segments):
            flags.append("instruction_ignored")
        segments = [s for s in segments if not s.instruction]
        customer = extract_customer(scored_text)

        if not segments:
            return self._empty(lang, customer, flags)

        vectors = self.embed([s.text for s in segments])
        amounts = find_amounts(scored_text)  # once per note: clause features, value features and the reply
        matrix = segment_matrix(segments, vectors, amounts)
        probs = self.model.signal_probs(matrix)
        hits = self._hits(segments, probs, scored_text)

        rel_probs = {sid: probs[:, self._index[sid]].tolist() for sid in RELATIONSHIP_SIGNALS}
        rel_p = self.model.relationship_probs(
            relationship_note_features(rel_probs, RELATIONSHIP_SIGNALS, segments, matrix)
        )
        relationship = self.model.rel_labels[int(np.argmax(rel_p))]
        confidence = float(np.max(rel_p))
        if confidence < MIN_CONFIDENCE:
            relationship = "unklar"

        val_max = {sid: float(probs[:, self._index[sid]].max()) for sid in VALUE_SIGNALS}
        val_p = self.model.value_probs(value_note_features(scored_text, val_max, matrix, amounts))
        level = self.model.val_labels[int(np.argmax(val_p))]

        shown = [h for h in hits if agrees_with_verdict(h.id, relationship, level)]
        rel_hits = [h for h in shown if h.polarity != "value"]
        value_hits = [h for h in shown if h.polarity == "value"]
        tier = self.policy.tier(relationship, level, lang)
        ids = {h.id for h in rel_hits}
        return Assessment(
            relationship=relationship,
            confidence=round(confidence, 3),
            signals=rel_hits,
            value=Value(level=level, signals=value_hits, amount_eur=largest_per_year(amounts)),
            tier=tier,
            next_step=choose_next_step(relationship, level, tier.name, ids, lang),
            customer=customer,
            customer_key=customer_key(customer),
            lang=lang,
            flags=flags,
        )

    def _hits(self, segments: list[Segment], probs: np.ndarray, text: str) -> list[SignalHit]:
        hits = []
        for sid, col in self._index.items():
            row = int(np.argmax(probs[:, col]))
            p = float(probs[row, col])
            if p < float(self.model.thresholds[col]):
                continue
            seg = segments[row]
            hits.append(
                SignalHit(
                    id=sid,
                    polarity=CATALOGUE[sid].polarity,
                    weight=round(p, 3),
                    start=seg.start,
                    end=seg.end,
                    quote=text[seg.start : seg.end],
                )
            )
        hits.sort(key=lambda h: h.weight, reverse=True)
        return hits

    def _empty(self, lang: Lang, customer: str | None, flags: list[str]) -> Assessment:
        tier = self.policy.tier("unklar", "unbekannt", lang)
        return Assessment(
            relationship="unklar",
            confidence=0.0,
            value=Value(level="unbekannt"),
            tier=tier,
            next_step=choose_next_step("unklar", "unbekannt", tier.name, set(), lang),
            customer=customer,
            customer_key=customer_key(customer),
            lang=lang,
            flags=flags + ["no_content"],
        )


def has_adverse_event(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in ADVERSE_EVENT_WORDS)
