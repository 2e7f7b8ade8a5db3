"""Discrimination metrics for the risk models, numpy only (the ClientApp computes them at the site).

AUC is the Mann-Whitney statistic from mid-ranks, so tied scores count one half, as in the trapezoidal ROC
area. Harrell's C-index counts the comparable pairs of right-censored data (the earlier time had the event)
and the share ordered correctly by risk, ties in risk counting one half; pairs tied in time are not
comparable (Harrell et al., Stat Med 1996;15:361).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Floats = npt.ArrayLike


def _midranks(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Ranks 1..n, tied values sharing the mean of their ranks."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    ranks = np.empty(len(values), dtype=np.float64)
    # boundaries of runs of equal values in sorted order
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(values)]
    for start, end in zip(starts, ends, strict=True):
        ranks[order[start:end]] = (start + 1 + end) / 2.0
    return ranks


def auc(labels: Floats, scores: Floats) -> float | None:
    """Area under the ROC curve; None when only one class is present or a score is not a finite number
    (a diverged model's NaN scores ranked by their position in the data gave a plausible 0.55)."""
    y = np.asarray(labels, dtype=np.float64).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError("labels and scores differ in length")
    positives = int((y == 1).sum())
    negatives = int((y == 0).sum())
    if positives + negatives != len(y):
        raise ValueError("labels must be 0 or 1")
    if positives == 0 or negatives == 0 or not np.isfinite(s).all():
        return None
    ranks = _midranks(s)
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2.0) / (positives * negatives))


def c_index(times: Floats, events: Floats, risks: Floats) -> float | None:
    """Harrell's C: higher risk should mean an earlier event. None when no pair is comparable.

    O(n^2) memory-free loop over events; cohorts at a site are thousands of patients, not millions.
    """
    t = np.asarray(times, dtype=np.float64).ravel()
    e = np.asarray(events, dtype=np.float64).ravel()
    r = np.asarray(risks, dtype=np.float64).ravel()
    if not t.shape == e.shape == r.shape:
        raise ValueError("times, events and risks differ in length")
    if not np.isfinite(r).all():
        return None  # a diverged model's risks order nothing
    concordant = 0.0
    comparable = 0
    for i in np.flatnonzero(e == 1):
        later = t > t[i]  # patient i had the event before these were last seen
        n = int(later.sum())
        if n == 0:
            continue
        comparable += n
        concordant += float((r[i] > r[later]).sum()) + 0.5 * float((r[i] == r[later]).sum())
    if comparable == 0:
        return None
    return concordant / comparable
