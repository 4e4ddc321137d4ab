"""The training notes are valid, and none of them copies the evaluation sets (which are never trained on)."""

from __future__ import annotations

import json
import re
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from scoring.train.validate import check_row

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ROOT / "scoring" / "train"
EVAL = ROOT.parent / "shared" / "eval"


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def notes() -> list[dict]:
    return [row for path in sorted((TRAIN / "data").glob("*.jsonl")) for row in rows(path)]


def five_grams(text: str) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i : i + 5]) for i in range(len(words) - 4)}


def test_every_training_note_is_valid():
    problems = [p for n in notes() for p in check_row(n, n.get("id", "?"))]
    assert not problems, problems[:10]
    assert len(notes()) > 1500


@pytest.mark.skipif(not EVAL.exists(), reason="../shared/eval is not beside this checkout")
def test_no_training_note_copies_an_evaluation_note():
    dev = [five_grams(r["text"]) for r in rows(EVAL / "dev-assessments.jsonl")]
    copies = [n["id"] for n in notes() if any(len(five_grams(n["text"]) & d) >= 2 for d in dev)]
    assert not copies


@pytest.mark.skipif(not EVAL.exists(), reason="../shared/eval is not beside this checkout")
def test_no_intent_example_paraphrases_an_evaluation_question():
    dev = [r["text"].lower() for r in rows(EVAL / "dev-questions.jsonl")]
    close = [
        r["id"]
        for r in rows(TRAIN / "intents" / "intents.jsonl")
        for d in dev
        if SequenceMatcher(None, r["text"].lower(), d).ratio() >= 0.8
    ]
    assert not close
