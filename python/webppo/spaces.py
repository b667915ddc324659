"""Gymnasium-like spaces (duck-typed: ``shape``, ``dtype``, ``sample()``, ``contains()``; Box has ``low`` and
``high``, Discrete ``n``, MultiDiscrete ``nvec``), built from webppo's JSON form. Gymnasium is not needed."""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np


def _bound(value: Any) -> float:
    return float(value) if not isinstance(value, str) else float(value.replace("Infinity", "inf"))


class Discrete:
    def __init__(self, n: int, seed: Optional[int] = None):
        self.n = int(n)
        self.shape = ()
        self.dtype = np.dtype(np.int64)
        self.np_random = np.random.default_rng(seed)

    def sample(self) -> int:
        return int(self.np_random.integers(self.n))

    def contains(self, x: Any) -> bool:
        return np.ndim(x) == 0 and int(x) == x and 0 <= int(x) < self.n

    def seed(self, seed: Optional[int] = None) -> None:
        self.np_random = np.random.default_rng(seed)

    def __repr__(self) -> str:
        return f"Discrete({self.n})"


class MultiDiscrete:
    def __init__(self, nvec, seed: Optional[int] = None):
        self.nvec = np.asarray(nvec, dtype=np.int64)
        self.shape = self.nvec.shape
        self.dtype = np.dtype(np.int64)
        self.np_random = np.random.default_rng(seed)

    def sample(self) -> np.ndarray:
        return (self.np_random.random(self.nvec.shape) * self.nvec).astype(np.int64)

    def contains(self, x: Any) -> bool:
        x = np.asarray(x)
        return x.shape == self.shape and bool(np.all((x >= 0) & (x < self.nvec)))

    def seed(self, seed: Optional[int] = None) -> None:
        self.np_random = np.random.default_rng(seed)

    def __repr__(self) -> str:
        return f"MultiDiscrete({self.nvec.tolist()})"


class Box:
    def __init__(self, low, high, shape, seed: Optional[int] = None):
        self.shape = tuple(int(d) for d in shape)
        self.low = np.asarray(low, dtype=np.float32).reshape(self.shape)
        self.high = np.asarray(high, dtype=np.float32).reshape(self.shape)
        self.dtype = np.dtype(np.float32)
        self.np_random = np.random.default_rng(seed)

    def sample(self) -> np.ndarray:
        low = np.where(np.isfinite(self.low), self.low, -1.0)
        high = np.where(np.isfinite(self.high), self.high, 1.0)
        return self.np_random.uniform(low, high).astype(np.float32)

    def contains(self, x: Any) -> bool:
        x = np.asarray(x)
        return x.shape == self.shape and bool(np.all((x >= self.low) & (x <= self.high)))

    def seed(self, seed: Optional[int] = None) -> None:
        self.np_random = np.random.default_rng(seed)

    def __repr__(self) -> str:
        return f"Box({self.low.min()}, {self.high.max()}, {self.shape}, float32)"


def space_from_json(space: Dict[str, Any]):
    """A space from webppo's JSON form (as in checkpoints and the serve-env HELLO reply)."""
    if space["kind"] == "discrete":
        return Discrete(space["n"])
    if space["kind"] == "multi_discrete":
        return MultiDiscrete(space["nvec"])
    if space["kind"] == "box":
        return Box([_bound(v) for v in space["low"]], [_bound(v) for v in space["high"]], space["shape"])
    raise ValueError(f"not a webppo space: {space!r}")
