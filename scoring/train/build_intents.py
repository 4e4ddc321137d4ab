"""Build bot/intent_model.npz from scoring/train/intents/ and the training notes (all debriefs).

python -m scoring.train.build_intents
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np

from bot.intents import LABELS, MODEL_FILE, IntentRouter
from scoring.train.build import load_notes
from scoring.train.learn import train_softmax

HERE = Path(__file__).resolve().parent
OUT = HERE.parents[1] / "bot" / MODEL_FILE
FOLDS = 5


def load_examples() -> tuple[list[str], list[int]]:
    texts, labels = [], []
    for line in (HERE / "intents" / "intents.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            texts.append(row["text"])
            labels.append(LABELS.index(row["intent"]))
    for note in load_notes():
        texts.append(note["text"])
        labels.append(LABELS.index("debrief"))
    return texts, labels


def main() -> int:
    from knowledge.embeddings import USEEmbeddings

    texts, labels = load_examples()
    router = IntentRouter(np.zeros(1), np.zeros(1), USEEmbeddings().embed_array)
    x = router.features(texts).astype(np.float32)
    y = np.asarray(labels)
    folds = np.random.default_rng(11).integers(0, FOLDS, size=len(y))
    pred = np.zeros_like(y)
    for f in range(FOLDS):
        tr = folds != f
        w, b = train_softmax(x[tr], y[tr], len(LABELS), l2=1e-3, steps=400)
        pred[~tr] = np.argmax(x[~tr] @ w + b, axis=1)
    print(f"{len(y)} examples; cross-validated intent accuracy {(pred == y).mean():.3f}")
    w, b = train_softmax(x, y, len(LABELS), l2=1e-3, steps=400)
    buf = io.BytesIO()
    np.savez_compressed(buf, w=w.astype(np.float32), b=b.astype(np.float32))
    OUT.write_bytes(buf.getvalue())
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
