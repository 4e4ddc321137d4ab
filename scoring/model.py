"""The learned weights and the arithmetic that applies them (pure numpy; trained by scoring/train/build.py)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from importlib import resources

import numpy as np

MODEL_FILE = "scorer.npz"


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@dataclass
class ScoringModel:
    signal_ids: tuple[str, ...]
    seg_w: np.ndarray  # (features, signals)
    seg_b: np.ndarray  # (signals,)
    thresholds: np.ndarray  # (signals,) chosen on out-of-fold predictions of the training notes
    rel_labels: tuple[str, ...]
    rel_w: np.ndarray
    rel_b: np.ndarray
    val_labels: tuple[str, ...]
    val_w: np.ndarray
    val_b: np.ndarray
    info: dict

    def signal_probs(self, x: np.ndarray) -> np.ndarray:
        return sigmoid(x @ self.seg_w + self.seg_b)

    def relationship_probs(self, features: np.ndarray) -> np.ndarray:
        return softmax(features @ self.rel_w + self.rel_b)

    def value_probs(self, features: np.ndarray) -> np.ndarray:
        return softmax(features @ self.val_w + self.val_b)

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            seg_w=self.seg_w.astype(np.float32),
            seg_b=self.seg_b,
            thresholds=self.thresholds,
            rel_w=self.rel_w,
            rel_b=self.rel_b,
            val_w=self.val_w,
            val_b=self.val_b,
            meta=np.frombuffer(
                json.dumps(
                    {
                        "signal_ids": self.signal_ids,
                        "rel_labels": self.rel_labels,
                        "val_labels": self.val_labels,
                        "info": self.info,
                    }
                ).encode(),
                dtype=np.uint8,
            ),
        )
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> ScoringModel:
        with np.load(io.BytesIO(data)) as z:
            meta = json.loads(z["meta"].tobytes().decode())
            return cls(
                signal_ids=tuple(meta["signal_ids"]),
                seg_w=z["seg_w"],
                seg_b=z["seg_b"],
                thresholds=z["thresholds"],
                rel_labels=tuple(meta["rel_labels"]),
                rel_w=z["rel_w"],
                rel_b=z["rel_b"],
                val_labels=tuple(meta["val_labels"]),
                val_w=z["val_w"],
                val_b=z["val_b"],
                info=meta["info"],
            )


def load_default_model() -> ScoringModel:
    """The model shipped with the package."""
    return ScoringModel.from_bytes(resources.files("scoring").joinpath("model", MODEL_FILE).read_bytes())
