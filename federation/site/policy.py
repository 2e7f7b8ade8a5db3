"""The site's own disclosure policy, read from `site-policy.yaml` in the site home.

Only the site decides what leaves it: the hub cannot loosen any of these. Missing file: the consortium
defaults (threshold 10, rounding 5, no noise, no quota, no budget). Noise needs a budget: a policy with
epsilon and no budget is refused when it is loaded (the agent does not start).

    threshold: 10          # below it the answer is "<10", never the number
    rounding: 5            # counts are rounded to the nearest multiple
    epsilon: 0.5           # Laplace noise per query (sensitivity 1); none: no noise
    quota: {per_minute: 30, per_day: 1000}   # per user
    budget: 20             # per user: the sum of epsilons they may spend (epsilon and budget need each other)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from registry.errors import InputError

POLICY_FILE = "site-policy.yaml"
_KEYS = {"threshold", "rounding", "epsilon", "quota", "budget"}


class PolicyError(InputError):
    code = "invalid_policy"
    hint = "fix site-policy.yaml in the site home (keys: threshold, rounding, epsilon, quota, budget)"


@dataclass(frozen=True)
class Policy:
    threshold: int = 10
    rounding: int = 5
    epsilon: float | None = None
    per_minute: int | None = None
    per_day: int | None = None
    budget: float | None = None

    def __post_init__(self) -> None:
        # Noise is kept per normal form; equivalent questions in other normal forms (age >= 0, >= 1, ...)
        # draw afresh, so only a budget bounds what averaging them can learn.
        if self.epsilon is not None and self.budget is None:
            raise PolicyError(
                f"{POLICY_FILE}: epsilon needs a budget: set budget, the sum of epsilons one user may spend "
                f"(e.g. budget: {40 * self.epsilon:g}, 40 questions at epsilon {self.epsilon:g}); without "
                "one, equivalent questions spelt differently average the noise away"
            )
        if self.budget is not None and self.epsilon is None:
            raise PolicyError(f"{POLICY_FILE}: a budget needs an epsilon (the budget is a sum of epsilons)")

    def describe(self) -> dict[str, Any]:
        """What a site may say about its policy (it is no secret: callers need it to read answers)."""
        return {
            "threshold": self.threshold,
            "rounding": self.rounding,
            "epsilon": self.epsilon,
            "quota": {"per_minute": self.per_minute, "per_day": self.per_day},
            "budget": self.budget,
        }


def _positive_int(value: Any, key: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise PolicyError(f"{POLICY_FILE}: {key} must be a whole number >= {minimum}, not {value!r}")
    return value


def _positive_float(value: Any, key: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise PolicyError(f"{POLICY_FILE}: {key} must be a positive number, not {value!r}")
    return float(value)


def parse_policy(data: Any) -> Policy:
    if data is None:
        return Policy()
    if not isinstance(data, dict):
        raise PolicyError(f"{POLICY_FILE} must be a mapping of keys to values")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise PolicyError(f"{POLICY_FILE}: unknown key {unknown[0]!r}")
    quota = data.get("quota") or {}
    if not isinstance(quota, dict) or set(quota) - {"per_minute", "per_day"}:
        raise PolicyError(f"{POLICY_FILE}: quota takes per_minute and per_day")
    eps = data.get("epsilon")
    budget = data.get("budget")
    return Policy(
        threshold=_positive_int(data.get("threshold", 10), "threshold"),
        rounding=_positive_int(data.get("rounding", 5), "rounding"),
        epsilon=None if eps is None else _positive_float(eps, "epsilon"),
        per_minute=None
        if quota.get("per_minute") is None
        else _positive_int(quota["per_minute"], "quota.per_minute"),
        per_day=None if quota.get("per_day") is None else _positive_int(quota["per_day"], "quota.per_day"),
        budget=None if budget is None else _positive_float(budget, "budget"),
    )


def load_policy(home: Path) -> Policy:
    path = home / POLICY_FILE
    if not path.exists():
        return Policy()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"cannot read {path}: {exc}") from None
    return parse_policy(data)
