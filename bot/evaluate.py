"""`kundenfokus eval`: SPEC's metrics for question files and assessment files."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scoring import metrics

if TYPE_CHECKING:
    from bot.app import App

RELATIONSHIPS = ("kunde", "patient", "unklar")
VALUES = ("hoch", "mittel", "niedrig", "unbekannt")


def load_rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise SystemExit(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
    return rows


def run_eval(app: App, path: Path) -> dict[str, Any]:
    rows = load_rows(path)
    if not rows:
        raise SystemExit(f"{path}: no rows")
    if "label" in rows[0]:
        return eval_assessments(app, rows)
    return eval_questions(app, rows)


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def eval_questions(app: App, rows: list[dict[str, Any]]) -> dict[str, Any]:
    hits: list[bool] = []
    gold_intents, pred_intents = [], []
    misses = []
    for row in rows:
        gold_intents.append(row.get("intent", "question"))
        pred_intents.append(app.router.route(row["text"]).intent)
        expected = set(row.get("topics") or [])
        if row.get("intent", "question") != "question" or not expected:
            continue
        passages = app.retriever.search(row["text"], k=3)
        hit = any(expected & set(p.topics) for p in passages)
        hits.append(hit)
        if not hit:
            misses.append({"id": row.get("id"), "expected": sorted(expected), "got": [p.topics for p in passages]})
    return {
        "kind": "questions",
        "n": len(rows),
        "n_retrieval": len(hits),
        "retrieval_hit_at_3": _round(sum(hits) / len(hits)) if hits else None,
        "intent_accuracy": _round(metrics.accuracy(gold_intents, pred_intents)),
        "retrieval_misses": misses,
    }


def eval_assessments(app: App, rows: list[dict[str, Any]]) -> dict[str, Any]:
    scorer = app.scorer
    scorer.assess("warm-up")  # the model loads before timing starts
    gold_rel, pred_rel, gold_tier, pred_tier, gold_val, pred_val = [], [], [], [], [], []
    gold_sig, pred_sig, latencies, pred_intents = [], [], [], []
    errors = []
    for row in rows:
        started = time.perf_counter()
        result = scorer.assess(row["text"])
        latencies.append((time.perf_counter() - started) * 1000)
        pred_intents.append(app.router.route(row["text"]).intent)
        gold_rel.append(row["label"])
        pred_rel.append(result.relationship)
        gold_tier.append(row["tier"])
        pred_tier.append(result.tier.name)
        gold_val.append(row["value"])
        pred_val.append(result.value.level)
        gold = set(row.get("signals", [])) | set(row.get("value_signals", []))
        pred = {s.id for s in result.signals} | {s.id for s in result.value.signals}
        gold_sig.append(gold)
        pred_sig.append(pred)
        if row["label"] != result.relationship or row["tier"] != result.tier.name:
            errors.append(
                {
                    "id": row.get("id"),
                    "gold": f"{row['label']}/{row['value']}/{row['tier']}",
                    "pred": f"{result.relationship}/{result.value.level}/{result.tier.name}",
                }
            )
    return {
        "kind": "assessments",
        "n": len(rows),
        "relationship_accuracy": _round(metrics.accuracy(gold_rel, pred_rel)),
        "relationship_macro_f1": _round(metrics.macro_f1(gold_rel, pred_rel, RELATIONSHIPS)),
        "tier_accuracy": _round(metrics.accuracy(gold_tier, pred_tier)),
        "tier_within_one": _round(metrics.within_one_tier(gold_tier, pred_tier)),
        "value_accuracy": _round(metrics.accuracy(gold_val, pred_val)),
        "signal_micro_f1": _round(metrics.micro_f1(gold_sig, pred_sig)),
        "intent_accuracy": _round(metrics.accuracy(["debrief"] * len(rows), pred_intents)),
        "latency_ms_p50": _round(metrics.percentile(latencies, 50), 2),
        "latency_ms_p95": _round(metrics.percentile(latencies, 95), 2),
        "confusion": metrics.confusion(gold_rel, pred_rel, RELATIONSHIPS),
        "value_confusion": metrics.confusion(gold_val, pred_val, VALUES),
        "errors": errors,
    }


def format_report(report: dict[str, Any]) -> str:
    lines = []
    for key, value in report.items():
        if key in {"confusion", "value_confusion"}:
            labels = list(value)
            lines.append(f"{key} (rows: gold, columns: predicted)")
            lines.append(" " * 12 + "".join(f"{lab:>11}" for lab in labels))
            for gold, row in value.items():
                lines.append(f"{gold:>12}" + "".join(f"{row[lab]:>11}" for lab in labels))
        elif key in {"errors", "retrieval_misses"}:
            lines.append(f"{key}: {len(value)}")
            lines.extend(f"  {json.dumps(item, ensure_ascii=False)}" for item in value[:30])
        else:
            lines.append(f"{key}: {value}")
    return "\n".join(lines)
