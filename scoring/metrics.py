"""Evaluation metrics (SPEC: "Metrics"), pure functions over gold and predicted labels."""

from __future__ import annotations

from collections.abc import Sequence

TIERS = "ABCD"


def accuracy(gold: Sequence[str], pred: Sequence[str]) -> float | None:
    if not gold:
        return None
    return sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)


def macro_f1(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> float | None:
    if not gold:
        return None
    scores = []
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, pred, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, pred, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, pred, strict=True))
        if tp + fp + fn == 0:
            continue
        scores.append(2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores) if scores else None


def within_one_tier(gold: Sequence[str], pred: Sequence[str]) -> float | None:
    if not gold:
        return None
    return sum(abs(TIERS.index(g) - TIERS.index(p)) <= 1 for g, p in zip(gold, pred, strict=True)) / len(gold)


def micro_f1(gold: Sequence[set[str]], pred: Sequence[set[str]]) -> float | None:
    tp = sum(len(g & p) for g, p in zip(gold, pred, strict=True))
    fp = sum(len(p - g) for g, p in zip(gold, pred, strict=True))
    fn = sum(len(g - p) for g, p in zip(gold, pred, strict=True))
    if tp + fp + fn == 0:
        return None
    return 2 * tp / (2 * tp + fp + fn)


def confusion(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict[str, dict[str, int]]:
    table = {g: dict.fromkeys(labels, 0) for g in labels}
    for g, p in zip(gold, pred, strict=True):
        if g in table and p in table[g]:
            table[g][p] += 1
    return table


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[idx]
