"""A finished training run as the ServerApp wrote it (`metrics.json`, /tmp/notes TRAINING-CONTRACT "Output"),
read defensively: the file comes from the hub home, but a malformed one is an InputError, not a traceback.

Per-site numbers in it were already put through each site's disclosure rules at the site; nothing here adds
any. Only the keys the contract names are carried into a package.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.errors import InputError, UnreadableInput

MAX_METRICS_BYTES = 5 * 1024 * 1024


def _number(v: Any) -> float | int | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return v if math.isfinite(v) else None


def _scalars(d: Any) -> dict[str, float | int | str]:
    """Name -> number (or short text) pairs of a JSON object; anything nested is left out."""
    if not isinstance(d, dict):
        return {}
    out: dict[str, float | int | str] = {}
    for k, v in d.items():
        if not isinstance(k, str) or len(k) > 100:
            continue
        n = _number(v)
        if n is not None:
            out[k] = n
        elif isinstance(v, str | bool) and len(str(v)) <= 200:
            out[k] = v if isinstance(v, str) else str(v).lower()
    return out


@dataclass(frozen=True)
class Round:
    number: int
    started: str | None
    ended: str | None
    train_loss: float | None
    metrics: dict[str, float | int | str]
    sites: dict[str, dict[str, float | int | str]]

    def to_json(self) -> dict[str, Any]:
        return {
            "round": self.number,
            "started": self.started,
            "ended": self.ended,
            "train_loss": self.train_loss,
            "metrics": self.metrics,
            "sites": self.sites,
        }


@dataclass(frozen=True)
class TrainingRun:
    task: str | None = None
    strategy: str | None = None
    privacy: str | None = None
    epsilon: float | None = None
    rounds: tuple[Round, ...] = ()
    final: dict[str, float | int | str] = field(default_factory=dict)
    features: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    hyperparameters: dict[str, float | int | str] = field(default_factory=dict)

    @property
    def started(self) -> str | None:
        return self.rounds[0].started if self.rounds else None

    @property
    def ended(self) -> str | None:
        return self.rounds[-1].ended if self.rounds else None

    def to_json(self) -> dict[str, Any]:
        """metrics.json as published: the contract's keys only, per round and per disclosed site."""
        return {
            "task": self.task,
            "strategy": self.strategy,
            "privacy": self.privacy,
            "epsilon": self.epsilon,
            "rounds": [r.to_json() for r in self.rounds],
            "final": self.final,
            "features": list(self.features),
            "sites": list(self.sites),
            "hyperparameters": self.hyperparameters,
        }


def _text(v: Any) -> str | None:
    return v[:200] if isinstance(v, str) else None


def parse_run(data: Any, source: str = "metrics.json") -> TrainingRun:
    if not isinstance(data, dict):
        raise InputError(
            f"{source}: not a JSON object", hint="the ServerApp writes metrics.json as an object"
        )
    rounds: list[Round] = []
    raw_rounds = data.get("rounds", [])
    if not isinstance(raw_rounds, list):
        raise InputError(f"{source}: 'rounds' is not a list")
    for i, r in enumerate(raw_rounds):
        if not isinstance(r, dict):
            raise InputError(f"{source}: round {i + 1} is not an object")
        num = r.get("round", i + 1)
        raw_sites = r.get("sites")
        sites: dict[str, Any] = raw_sites if isinstance(raw_sites, dict) else {}
        loss = _number(r.get("train_loss"))
        rounds.append(
            Round(
                number=num if isinstance(num, int) and not isinstance(num, bool) else i + 1,
                started=_text(r.get("started")),
                ended=_text(r.get("ended")),
                train_loss=float(loss) if loss is not None else None,
                metrics=_scalars(r.get("metrics")),
                sites={str(k)[:100]: _scalars(v) for k, v in sites.items()},
            )
        )
    eps = _number(data.get("epsilon"))
    feats = data.get("features")
    feats = feats if isinstance(feats, list) else []
    site_ids = data.get("sites")
    site_ids = site_ids if isinstance(site_ids, list) else []
    return TrainingRun(
        task=_text(data.get("task")),
        strategy=_text(data.get("strategy")),
        privacy=_text(data.get("privacy")),
        epsilon=float(eps) if eps is not None else None,
        rounds=tuple(rounds),
        final=_scalars(data.get("final")),
        features=tuple(str(f)[:200] for f in feats if isinstance(f, str)),
        sites=tuple(str(s)[:100] for s in site_ids if isinstance(s, str)),
        hyperparameters=_scalars(data.get("hyperparameters")),
    )


def read_run(path: Path) -> TrainingRun:
    try:
        size = path.stat().st_size
        if size > MAX_METRICS_BYTES:
            raise InputError(f"{path.name}: {size} bytes is over the {MAX_METRICS_BYTES} byte limit")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableInput(f"{path.name}: cannot be read ({type(exc).__name__})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path.name}: not JSON (line {exc.lineno})") from None
    return parse_run(data, path.name)
