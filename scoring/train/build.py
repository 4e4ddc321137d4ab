"""Build scoring/model/scorer.npz from the training notes in scoring/train/data/.

    python -m scoring.train.build            # trains, prints cross-validated figures, writes the model

Clause classifiers (one per signal) are trained on clauses labelled by the notes' evidence quotes; the
note-level relationship and value classifiers are trained on out-of-fold clause predictions, so they
learn from the same kind of noisy input they get at run time. The dev evaluation set is never read here.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from scoring.features import relationship_note_features, segment_matrix, value_note_features
from scoring.model import MODEL_FILE, ScoringModel
from scoring.segments import Segment, segment_note
from scoring.signals import ALL_SIGNALS, RELATIONSHIP_SIGNALS, VALUE_SIGNALS
from scoring.train.learn import best_threshold, train_ovr, train_softmax

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
OUT = HERE.parent / "model" / MODEL_FILE
REL_LABELS = ("kunde", "patient", "unklar")
VAL_LABELS = ("hoch", "mittel", "niedrig", "unbekannt")
FOLDS = 5
SEED = 7


def load_notes() -> list[dict]:
    notes = []
    for path in sorted(DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                notes.append(json.loads(line))
    return notes


def clause_labels(note: dict, segments: list[Segment]) -> np.ndarray:
    """A clause carries a signal when it holds most of that signal's quote (or is most of it)."""
    y = np.zeros((len(segments), len(ALL_SIGNALS)), np.float32)
    text = note["text"]
    for hit in note["signals"] + note["value_signals"]:
        q_start = text.find(hit["quote"])
        if q_start < 0 or not segments:
            continue
        q_end = q_start + len(hit["quote"])
        overlaps = [max(0, min(q_end, s.end) - max(q_start, s.start)) for s in segments]
        best = int(np.argmax(overlaps))
        col = ALL_SIGNALS.index(hit["id"])
        for i, (seg, ov) in enumerate(zip(segments, overlaps, strict=True)):
            if i == best or (ov and (ov >= 0.5 * (q_end - q_start) or ov >= 0.6 * (seg.end - seg.start))):
                y[i, col] = 1.0
    return y


def main() -> int:
    from knowledge.embeddings import USEEmbeddings

    started = time.perf_counter()
    notes = load_notes()
    if not notes:
        print("no training notes in", DATA)
        return 1
    embed = USEEmbeddings().embed_array
    per_note = []
    for note in notes:
        segs = [s for s in segment_note(note["text"]) if not s.instruction]
        per_note.append(segs)
    all_texts = [s.text for segs in per_note for s in segs]
    vectors = embed(all_texts)
    xs, ys, owner = [], [], []
    offset = 0
    for i, (note, segs) in enumerate(zip(notes, per_note, strict=True)):
        v = vectors[offset : offset + len(segs)]
        offset += len(segs)
        xs.append(segment_matrix(segs, v, note["text"]) if segs else np.zeros((0, v.shape[1] if v.size else 1)))
        ys.append(clause_labels(note, segs))
        owner += [i] * len(segs)
    x = np.vstack([a for a in xs if len(a)]).astype(np.float32)
    y = np.vstack([a for a in ys if len(a)]).astype(np.float32)
    owner_arr = np.asarray(owner)
    print(
        f"{len(notes)} notes, {len(x)} clauses, {x.shape[1]} features; embedded in "
        f"{time.perf_counter() - started:.1f} s"
    )

    rng = np.random.default_rng(SEED)
    fold_of_note = rng.integers(0, FOLDS, size=len(notes))
    oof = np.zeros_like(y)
    for f in range(FOLDS):
        train = fold_of_note[owner_arr] != f
        w, b = train_ovr(x[train], y[train])
        oof[~train] = 1 / (1 + np.exp(-(x[~train] @ w + b)))
    thresholds = np.array([best_threshold(oof[:, j], y[:, j] > 0) for j in range(len(ALL_SIGNALS))], np.float32)

    rel_x, val_x, rel_y, val_y, gold_sig, pred_sig = [], [], [], [], [], []
    for i, note in enumerate(notes):
        rows = owner_arr == i
        p = oof[rows] if rows.any() else np.zeros((1, len(ALL_SIGNALS)), np.float32)
        rel_probs = {sid: p[:, ALL_SIGNALS.index(sid)].tolist() for sid in RELATIONSHIP_SIGNALS}
        rel_x.append(relationship_note_features(rel_probs, RELATIONSHIP_SIGNALS, per_note[i]))
        val_max = {sid: float(p[:, ALL_SIGNALS.index(sid)].max()) for sid in VALUE_SIGNALS}
        val_x.append(value_note_features(note["text"], val_max))
        rel_y.append(REL_LABELS.index(note["label"]))
        val_y.append(VAL_LABELS.index(note["value"]))
        gold_sig.append({h["id"] for h in note["signals"] + note["value_signals"]})
        pred_sig.append({sid for j, sid in enumerate(ALL_SIGNALS) if p[:, j].max() >= thresholds[j]})
    rel_x_arr, val_x_arr = np.vstack(rel_x), np.vstack(val_x)
    rel_y_arr, val_y_arr = np.asarray(rel_y), np.asarray(val_y)

    _report_cv(rel_x_arr, rel_y_arr, val_x_arr, val_y_arr, fold_of_note, gold_sig, pred_sig)

    seg_w, seg_b = train_ovr(x, y)
    rel_w, rel_b = train_softmax(rel_x_arr, rel_y_arr, len(REL_LABELS))
    val_w, val_b = train_softmax(val_x_arr, val_y_arr, len(VAL_LABELS))
    model = ScoringModel(
        signal_ids=ALL_SIGNALS,
        seg_w=seg_w,
        seg_b=seg_b,
        thresholds=thresholds,
        rel_labels=REL_LABELS,
        rel_w=rel_w,
        rel_b=rel_b,
        val_labels=VAL_LABELS,
        val_w=val_w,
        val_b=val_b,
        info={"notes": len(notes), "clauses": int(len(x)), "built_s": round(time.perf_counter() - started, 1)},
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(model.to_bytes())
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB) in {time.perf_counter() - started:.1f} s")
    return 0


def _report_cv(rel_x, rel_y, val_x, val_y, folds, gold_sig, pred_sig) -> None:
    from scoring import metrics

    rel_pred = np.zeros_like(rel_y)
    val_pred = np.zeros_like(val_y)
    for f in range(FOLDS):
        tr = folds != f
        w, b = train_softmax(rel_x[tr], rel_y[tr], len(REL_LABELS))
        rel_pred[~tr] = np.argmax(rel_x[~tr] @ w + b, axis=1)
        w, b = train_softmax(val_x[tr], val_y[tr], len(VAL_LABELS))
        val_pred[~tr] = np.argmax(val_x[~tr] @ w + b, axis=1)
    g = [REL_LABELS[i] for i in rel_y]
    p = [REL_LABELS[i] for i in rel_pred]
    print("cross-validated on the training notes:")
    print(f"  relationship accuracy {metrics.accuracy(g, p):.3f}  macro-F1 {metrics.macro_f1(g, p, REL_LABELS):.3f}")
    print(f"  value accuracy {metrics.accuracy(list(val_y), list(val_pred)):.3f}")
    print(f"  signal micro-F1 {metrics.micro_f1(gold_sig, pred_sig):.3f}")


if __name__ == "__main__":
    sys.exit(main())
