"""AUC and Harrell's C against cases worked by hand."""

from __future__ import annotations

import pytest

from federation.training.metrics import auc, c_index


def test_auc_perfect_inverted_and_ties() -> None:
    assert auc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert auc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert auc([0, 1], [0.5, 0.5]) == 0.5  # a tie counts one half


def test_auc_hand_computed() -> None:
    # positives 0.8, 0.4; negatives 0.6, 0.4, 0.2. Pairs: (0.8>0.6, 0.8>0.4, 0.8>0.2) = 3,
    # (0.4<0.6: 0, 0.4=0.4: 0.5, 0.4>0.2: 1) = 1.5 -> 4.5 / 6
    assert auc([1, 0, 1, 0, 0], [0.8, 0.6, 0.4, 0.4, 0.2]) == pytest.approx(0.75)


def test_auc_undefined_and_bad_input() -> None:
    assert auc([1, 1], [0.2, 0.3]) is None
    with pytest.raises(ValueError):
        auc([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError):
        auc([0, 1], [0.1])


def test_scores_that_are_not_finite_have_no_auc_or_c_index() -> None:
    # a diverged model scores NaN: ranked by position in the data they gave a plausible 0.55
    nan, inf = float("nan"), float("inf")
    assert auc([0, 1, 0, 1], [nan, nan, nan, nan]) is None
    assert auc([0, 1, 0, 1], [0.1, inf, 0.2, 0.3]) is None
    assert c_index([1, 2, 3], [1, 1, 0], [nan, 0.2, 0.1]) is None


def test_c_index_hand_computed() -> None:
    # times 1 (event), 2 (censored), 3 (event), 4 (censored). Comparable pairs: the event at 1 with 2, 3, 4;
    # the event at 3 with 4 -> 4 pairs. Risks 0.9, 0.5, 0.7, 0.7: (0.9 > 0.5, 0.9 > 0.7, 0.9 > 0.7) = 3
    # and (0.7 = 0.7) = 0.5 -> 3.5 / 4
    assert c_index([1, 2, 3, 4], [1, 0, 1, 0], [0.9, 0.5, 0.7, 0.7]) == pytest.approx(0.875)
    assert c_index([1, 2], [1, 1], [0.1, 0.9]) == 0.0  # higher risk lived longer: discordant
    assert c_index([1, 2], [0, 0], [0.1, 0.9]) is None  # nothing comparable
    assert c_index([2, 2], [1, 1], [0.1, 0.9]) is None  # tied times are not comparable
