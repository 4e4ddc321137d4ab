"""Logistic regression in numpy (binary one-vs-rest and softmax), full-batch Adam with L2."""

from __future__ import annotations

import numpy as np

from scoring.model import sigmoid, softmax


def _adam(grad_fn, w: np.ndarray, b: np.ndarray, steps: int, lr: float) -> tuple[np.ndarray, np.ndarray]:
    mw, vw, mb, vb = (np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b))
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for t in range(1, steps + 1):
        gw, gb = grad_fn(w, b)
        mw = beta1 * mw + (1 - beta1) * gw
        vw = beta2 * vw + (1 - beta2) * gw * gw
        mb = beta1 * mb + (1 - beta1) * gb
        vb = beta2 * vb + (1 - beta2) * gb * gb
        corr1, corr2 = 1 - beta1**t, 1 - beta2**t
        w = w - lr * (mw / corr1) / (np.sqrt(vw / corr2) + eps)
        b = b - lr * (mb / corr1) / (np.sqrt(vb / corr2) + eps)
    return w, b


def train_ovr(
    x: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 300, lr: float = 0.05, max_pos_weight: float = 8.0
) -> tuple[np.ndarray, np.ndarray]:
    """One sigmoid per column of y (0/1); rare positives are up-weighted."""
    n, d = x.shape
    k = y.shape[1]
    pos = y.mean(axis=0).clip(1e-4, 1)
    pos_weight = np.minimum((1 - pos) / pos, max_pos_weight) ** 0.5
    weights = np.where(y > 0, pos_weight, 1.0).astype(np.float32)

    def grad(w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = sigmoid(x @ w + b)
        err = (p - y) * weights / n
        return x.T @ err + l2 * w, err.sum(axis=0)

    return _adam(grad, np.zeros((d, k), np.float32), np.zeros(k, np.float32), steps, lr)


def train_softmax(
    x: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    l2: float = 1e-2,
    steps: int = 500,
    lr: float = 0.05,
    balance: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    n, d = x.shape
    onehot = np.eye(n_classes, dtype=np.float32)[y]
    counts = onehot.sum(axis=0).clip(1, None)
    cw = (n / (n_classes * counts)) if balance else np.ones(n_classes, np.float32)
    sample_w = (onehot * cw).sum(axis=1, keepdims=True).astype(np.float32)

    def grad(w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = softmax(x @ w + b)
        err = (p - onehot) * sample_w / n
        return x.T @ err + l2 * w, err.sum(axis=0)

    return _adam(grad, np.zeros((d, n_classes), np.float32), np.zeros(n_classes, np.float32), steps, lr)


def best_threshold(scores: np.ndarray, truth: np.ndarray) -> float:
    """The cut that maximises F1 on held-out predictions; a grid keeps it from chasing single cases."""
    best, best_f1 = 0.5, -1.0
    for cut in np.arange(0.2, 0.91, 0.05):
        pred = scores >= cut
        tp = float((pred & truth).sum())
        f1 = 2 * tp / (pred.sum() + truth.sum()) if (pred.sum() + truth.sum()) else 0.0
        if f1 > best_f1 + 1e-9:
            best, best_f1 = float(cut), f1
    return round(best, 2)
