"""Where did it change: segment rows, set arithmetic on them, and the locus rule.

A :class:`Cube` holds one metric's additive rows (see :mod:`insightlib.quant.stats`) per segment key
and period, so "Android without Android x US" is ``cube.get(a) - cube.get(pair)``.
:func:`loci` applies steps 1–2 of the locus rule documented in :mod:`insightlib.quant.changes` to any
kind of test (changes, trends, anomalies), given how to test "moved" and "differs".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from insightlib.model import Finding, segment_from_key, segment_key
from insightlib.quant import stats as S

__all__ = ["Test", "Cube", "loci", "host", "score", "level", "parents", "pair_key", "sign"]


@dataclass
class Test:
    """One test run (a row of :attr:`insightlib.quant.changes.QuantResult.tests`)."""

    family: str  # change | trend | anomaly
    metric: str
    key: str
    when: date
    current: float
    baseline: float
    diff: float
    rel: float | None
    p: float
    direction: int
    n_cur: float = 0.0
    n_base: float = 0.0
    q: float = 1.0
    eligible: bool = True  # may become a finding (trends: only when sustained)
    min_p: float = 0.0  # the smallest p-value the test could give at this size (Tarone)
    obj: Any = None
    extra: dict[str, Any] = field(default_factory=dict)
    reported: str = ""
    note: str = ""


class Cube:
    """One metric's rows per segment key: arrays of shape (periods, fields)."""

    def __init__(self, frame: pd.DataFrame, metric: str, dates: list[date]) -> None:
        self.dates = dates
        self.n = len(dates)
        sub = frame[frame["metric"] == metric]
        index = {d: i for i, d in enumerate(dates)}
        self.rows: dict[str, np.ndarray] = {}
        values = sub[list(S.FIELDS)].fillna(0.0).to_numpy(dtype=float)
        pos = sub["period_start"].map(index).to_numpy(dtype=float)
        for key, idx in sub.groupby("segment", sort=True).indices.items():
            arr = np.zeros((self.n, len(S.FIELDS)))
            ok = np.isfinite(pos[idx])
            arr[pos[idx][ok].astype(int)] = values[idx][ok]
            self.rows[str(key)] = arr
        self.segs = {k: segment_from_key(k) for k in self.rows}

    def get(self, key: str) -> np.ndarray:
        return self.rows.get(key, np.zeros((self.n, len(S.FIELDS))))

    def keys_of(self, cols: tuple[str, ...]) -> list[str]:
        """The keys whose segment uses exactly these columns (sorted by name)."""
        return [k for k, s in self.segs.items() if tuple(c for c, _ in s) == cols]


def level(key: str) -> int:
    return len(segment_from_key(key))


def pair_key(a: str, b: str) -> str:
    return segment_key(tuple(sorted(segment_from_key(a) + segment_from_key(b))))


def parents(key: str) -> list[str]:
    seg = segment_from_key(key)
    return ["all"] if len(seg) == 1 else [segment_key((s,)) for s in seg]


def sign(x: float) -> int:
    return 1 if x > 0 else -1 if x < 0 else 0


def score(impact: float, q: float | None, novelty: float) -> float:
    """The ranking score in [0, 1] (formula in :mod:`insightlib.quant.changes`)."""
    i = 1.0 - math.exp(-abs(impact) / 0.05) if math.isfinite(impact) else 0.0
    s = min(1.0, -math.log10(max(q if q is not None else 1.0, 1e-300)) / 10.0)
    return round(0.5 * i + 0.3 * s + 0.2 * max(0.0, min(1.0, novelty)), 4)


def loci(
    sig: dict[str, Test],
    differs: Callable[[str, str], bool],
    moved: Callable[[np.ndarray, int], bool],
    cube: Cube,
    weight: Callable[[str], float],
) -> list[str]:
    """The segments where a move happened, among the significant ones in ``sig``.

    ``differs(key, parent)`` tells whether ``key`` moved differently from the rest of
    ``parent``; ``moved(rows, direction)`` whether a set of rows still moves that way.
    """
    cands = [k for k in sig if k != "all" and all(differs(k, p) for p in parents(k))]
    singles = [k for k in cands if level(k) == 1]
    pairs = [k for k in cands if level(k) == 2]
    drop: set[str] = set()
    for s in singles:
        d = sig[s].direction
        for p in pairs:
            if sig[p].direction == d and s in parents(p):
                if not moved(cube.get(s) - cube.get(p), d):
                    drop.add(s)
                    break
    for s1 in singles:
        if s1 in drop:
            continue
        d = sig[s1].direction
        col1 = segment_from_key(s1)[0][0]
        for s2 in singles:
            if s2 in drop or s2 == s1 or sig[s2].direction != d:
                continue
            if segment_from_key(s2)[0][0] == col1:
                continue
            inter = cube.get(pair_key(s1, s2))
            if not moved(cube.get(s1) - inter, d) and (
                moved(cube.get(s2) - inter, d) or weight(s2) > weight(s1)
            ):
                drop.add(s1)
                break
    return [k for k in cands if k not in drop]


def host(key: str, direction: int, reported: dict[str, Finding], sig: dict[str, Test]) -> str:
    """The reported finding that accounts for a significant segment that is not reported."""
    seg = set(segment_from_key(key))
    for k, f in reported.items():
        if k == "all" or k not in sig or sig[k].direction != direction:
            continue
        if set(f.segment) & seg:
            return k
    if "all" in reported and "all" in sig and sig["all"].direction == direction:
        return "all"
    return ""
