"""The learned head: per tag, a logistic model on the frozen embeddings.

It starts as the zero-shot prior (``w0 = L * (t - r)``: the tag's text vector
against a generic reference, scaled by the model's logit scale) and is trained on
the tag's confirmed and rejected photos with an L2 pull toward that prior, so a
few corrections nudge it and many can overturn it. With no corrections it *is*
the prior, so its scores equal zero-shot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# lambda: how hard the weights are pulled toward the prior. Chosen with
# benchmarks/tagging.py: 0.1 lets 16 corrections fix a useless prompt while one
# correction cannot overturn a good one.
PRIOR_STRENGTH = 0.1


@dataclass
class Head:
    weights: np.ndarray  # (dim,) float32
    bias: float

    def logits(self, x: np.ndarray) -> np.ndarray:
        return x @ self.weights + self.bias


def prior(tag_vector: np.ndarray, reference: np.ndarray, logit_scale: float) -> Head:
    return Head((logit_scale * (tag_vector - reference)).astype(np.float32), 0.0)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))


def train(
    x: np.ndarray,
    y: np.ndarray,
    start: Head,
    strength: float = PRIOR_STRENGTH,
    iterations: int = 25,
) -> Head:
    """Newton's method on sum(BCE) + strength/2 * (|w - w0|^2 + (b - b0)^2).

    With examples of only one class there is no boundary to learn (fitting them would
    just shift every score one way), so the head stays the prior until the tag has at
    least one confirmed and one rejected photo.
    """
    if len(y) == 0 or np.min(y) == np.max(y):
        return Head(start.weights.copy(), start.bias)
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    xb = np.hstack([x, np.ones((len(x), 1))])
    theta0 = np.append(start.weights.astype(np.float64), start.bias)
    theta = theta0.copy()
    reg = strength * np.eye(len(theta))
    for _ in range(iterations):
        p = sigmoid(xb @ theta)
        grad = xb.T @ (p - y) + strength * (theta - theta0)
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + reg
        step = np.linalg.solve(hess, grad)
        theta -= step
        if np.max(np.abs(step)) < 1e-6:
            break
    return Head(theta[:-1].astype(np.float32), float(theta[-1]))


def cross_validate(
    x: np.ndarray, y: np.ndarray, start: Head, threshold: float, folds: int = 5, seed: int = 0
) -> dict:
    """Precision and recall on held-out corrections (k-fold; each photo predicted once)."""
    n = len(y)
    if n < 2 or y.min() == y.max():
        return {"precision": None, "recall": None, "held_out": 0}
    order = np.random.default_rng(seed).permutation(n)
    predicted = np.zeros(n, bool)
    cut = np.log(threshold / (1 - threshold))
    for k in range(min(folds, n)):
        test = order[k :: min(folds, n)]
        train_idx = np.setdiff1d(order, test)
        head = train(x[train_idx], y[train_idx], start)
        predicted[test] = head.logits(x[test]) >= cut
    truth = y.astype(bool)
    tp = int(np.sum(predicted & truth))
    precision = tp / max(int(predicted.sum()), 1) if predicted.any() else None
    recall = tp / max(int(truth.sum()), 1)
    prior_said = start.logits(x) >= cut  # zero-shot on the same held-out photos
    return {
        "precision": precision,
        "recall": recall,
        "held_out": n,
        "f1": _f1(predicted, truth),
        "prior_f1": _f1(prior_said, truth),
    }


def _f1(predicted: np.ndarray, truth: np.ndarray) -> float:
    return 2 * int(np.sum(predicted & truth)) / max(int(predicted.sum() + truth.sum()), 1)
