"""Disclosure control under attack: averaging, differencing and budget exhaustion, on the real ledger."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from federation.site.disclosure import Ledger, Precision, Status
from federation.site.policy import Policy, PolicyError, load_policy, parse_policy


def ledger(tmp_path: Path, seed: int | None = None) -> Ledger:
    return Ledger(
        tmp_path / "ledger.sqlite", "site-secret", rng=random.Random(seed) if seed is not None else None
    )


def test_threshold_and_rounding_without_noise(tmp_path: Path) -> None:
    lg, p = ledger(tmp_path), Policy(threshold=10, rounding=5)
    small = lg.disclose(p, "u", "q1", 9)
    assert (small.count, small.precision, small.threshold) == (None, Precision.BELOW_THRESHOLD, 10)
    assert lg.disclose(p, "u", "q2", 12).count == 10
    assert lg.disclose(p, "u", "q3", 13).precision is Precision.ROUNDED
    exact = lg.disclose(Policy(threshold=1, rounding=1), "u", "q4", 13)
    assert (exact.count, exact.precision) == (13, Precision.EXACT)


def test_averaging_attack_learns_nothing_beyond_one_answer(tmp_path: Path) -> None:
    """The same query 1,000 times gives one answer and spends epsilon once."""
    lg, p = ledger(tmp_path), Policy(threshold=1, rounding=1, epsilon=0.5, budget=5)
    answers = {lg.disclose(p, "mallory", "the-same-normalised-query", 137).count for _ in range(1000)}
    assert len(answers) == 1
    assert lg.spent("mallory") == pytest.approx(0.5)
    # after a restart (a new ledger object on the same file) the answer is still the same
    assert ledger(tmp_path).disclose(p, "mallory", "the-same-normalised-query", 137).count in answers


def differencing_success(eps: float, trials: int) -> float:
    """Mallory asks Q1 (n + b patients) and Q2 (n); guesses b from the difference of the answers."""
    rng = random.SystemRandom()
    wins = 0
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        lg = Ledger(Path(tmp) / "l.sqlite", "s")
        p = Policy(threshold=1, rounding=1, epsilon=eps, budget=2 * eps)
        for t in range(trials):
            b = rng.randrange(2)
            a1 = lg.disclose(p, f"m{t}", f"q1-{t}", 500 + b).count
            a2 = lg.disclose(p, f"m{t}", f"q2-{t}", 500).count
            assert a1 is not None and a2 is not None
            guess = 1 if a1 - a2 > 0.5 else 0 if a1 - a2 < 0.5 else rng.randrange(2)
            wins += guess == b
    return wins / trials


def test_differencing_attack_is_bounded_by_epsilon() -> None:
    eps, trials = 0.5, 4000
    rate = differencing_success(eps, trials)
    # Two queries spend 2*eps; no test can beat e^(2eps) / (1 + e^(2eps)) (0.731 here), a coin toss is 0.5.
    bound = math.exp(2 * eps) / (1 + math.exp(2 * eps))
    print(f"differencing attack success {rate:.3f} (bound {bound:.3f}, coin 0.5) over {trials} trials")
    assert rate <= bound + 3.5 * math.sqrt(bound * (1 - bound) / trials)


def test_budget_is_refused_once_spent_also_after_a_restart(tmp_path: Path) -> None:
    p = Policy(threshold=1, rounding=1, epsilon=1.0, budget=3.0)
    lg = ledger(tmp_path)
    assert [lg.disclose(p, "eve", f"q{i}", 40).status for i in range(3)] == [Status.OK] * 3
    refused = lg.disclose(p, "eve", "q3", 40)
    assert refused.status is Status.REFUSED and "budget" in (refused.reason or "")
    assert ledger(tmp_path).disclose(p, "eve", "q4", 40).status is Status.REFUSED
    assert ledger(tmp_path).disclose(p, "bob", "q4", 40).status is Status.OK  # per user
    assert lg.disclose(p, "eve", "q0", 40).status is Status.OK  # an answer already given costs nothing


def test_quota_per_minute(tmp_path: Path) -> None:
    lg, p = ledger(tmp_path), Policy(per_minute=3, per_day=5)
    assert [lg.disclose(p, "u", "q", 50, now=1000.0 + i).status for i in range(4)] == [Status.OK] * 3 + [
        Status.REFUSED
    ]
    assert lg.disclose(p, "u", "q", 50, now=1100.0).status is Status.OK
    assert lg.disclose(p, "u", "q", 50, now=1200.0).status is Status.OK
    assert lg.disclose(p, "u", "q", 50, now=1300.0).status is Status.REFUSED  # 5 per day


def test_ledger_holds_no_raw_count(tmp_path: Path) -> None:
    lg = ledger(tmp_path)
    lg.disclose(Policy(epsilon=1.0, budget=1.0), "u", "q", 4242)
    assert b"4242" not in (tmp_path / "ledger.sqlite").read_bytes()


def test_policy_file(tmp_path: Path) -> None:
    assert load_policy(tmp_path) == Policy()
    (tmp_path / "site-policy.yaml").write_text(
        "threshold: 20\nrounding: 10\nepsilon: 0.5\nbudget: 4\nquota: {per_day: 9}\n"
    )
    assert load_policy(tmp_path) == Policy(20, 10, 0.5, None, 9, 4.0)
    for bad in (
        {"threshold": 0},
        {"epsilon": -1},
        {"budget": 3},
        {"loosen": True},
        {"quota": {"per_hour": 1}},
        [1],
    ):
        with pytest.raises(PolicyError):
            parse_policy(bad)


def test_noise_needs_a_budget() -> None:
    # Noise is kept per normal form; equivalent questions in other normal forms draw afresh, so without a
    # budget their answers average the noise away. The policy refuses it, in the file and in code.
    with pytest.raises(PolicyError, match="epsilon needs a budget: set budget"):
        parse_policy({"epsilon": 0.5})
    with pytest.raises(PolicyError, match="epsilon needs a budget"):
        Policy(epsilon=0.5)
    with pytest.raises(PolicyError, match="a budget needs an epsilon"):
        Policy(budget=3.0)
    assert parse_policy({"epsilon": 0.5, "budget": 20}) == Policy(epsilon=0.5, budget=20.0)
