"""Noise for a stated (epsilon, delta) over a number of rounds, by zero-concentrated DP (zCDP) composition.

Accountant (Bun & Steinke, "Concentrated Differential Privacy", TCC 2016): a Gaussian mechanism with L2
sensitivity S and noise standard deviation sigma is rho-zCDP with rho = S^2 / (2 sigma^2) (Prop. 1.6);
T mechanisms compose to the sum of their rhos (Lemma 1.7); rho-zCDP implies (rho + 2 sqrt(rho ln(1/delta)),
delta)-DP (Prop. 1.3). Inverting the last for a target epsilon gives rho = (sqrt(L + eps) - sqrt(L))^2 with
L = ln(1/delta), so each of the T rounds may spend rho / T and the noise multiplier z = sigma / S is
sqrt(T / (2 rho)). This is conservative (no amplification by sampling: every site takes part every round).

The unit of privacy is a *site*: one site's whole contribution to a round is clipped to C.
- central: the server clips each site's update to C and adds N(0, (z C)^2) to their sum (Flower's
  DifferentialPrivacyServerSideFixedClipping; adding or removing a site moves the sum by at most C);
- local: each site clips its own update to C and adds noise before it leaves the site; any two updates in
  the ball differ by at most 2 C, so the sensitivity is 2 C.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt


def rho_for(epsilon: float, delta: float) -> float:
    """The zCDP budget that gives (epsilon, delta)-DP."""
    if not (epsilon > 0 and 0 < delta < 1):
        raise ValueError("DP needs epsilon > 0 and 0 < delta < 1")
    log_inv = math.log(1.0 / delta)
    return (math.sqrt(log_inv + epsilon) - math.sqrt(log_inv)) ** 2


def epsilon_for(rho: float, delta: float) -> float:
    return rho + 2.0 * math.sqrt(rho * math.log(1.0 / delta))


def noise_multiplier(epsilon: float, delta: float, rounds: int) -> float:
    """z such that `rounds` Gaussian releases with std z * sensitivity are (epsilon, delta)-DP in total."""
    if rounds < 1:
        raise ValueError("rounds must be at least 1")
    return math.sqrt(rounds / (2.0 * rho_for(epsilon, delta)))


def spent(z: float, delta: float, rounds: int) -> float:
    """The epsilon that `rounds` releases with noise multiplier z spend (the inverse, for reports/tests)."""
    return epsilon_for(rounds / (2.0 * z * z), delta)


Arrays = list[npt.NDArray[np.float32]]


def clip(update: Arrays, norm: float) -> tuple[Arrays, float]:
    """The update scaled to L2 norm at most `norm` (over all arrays together) and its norm before."""
    total = math.sqrt(sum(float(np.sum(np.square(a, dtype=np.float64))) for a in update))
    factor = min(1.0, norm / total) if total > 0 else 1.0
    return [(a * factor).astype(np.float32) for a in update], total


def privatise_local(
    update: Arrays, *, clip_norm: float, epsilon: float, delta: float, rounds: int, rng: np.random.Generator
) -> Arrays:
    """Local DP on one round's update: clip to C, add N(0, (2 C z)^2) to every coordinate."""
    clipped, _ = clip(update, clip_norm)
    sigma = 2.0 * clip_norm * noise_multiplier(epsilon, delta, rounds)
    return [(a + rng.normal(0.0, sigma, size=a.shape)).astype(np.float32) for a in clipped]
