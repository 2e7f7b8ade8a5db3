"""The flat Flower run config of a job, and the approved shape a site's gate reads back out of it.

Flower's run config is flat with scalar values, so a job becomes `job`, `task`, `cohort`, `strategy`,
`num-server-rounds`, `privacy`, `epsilon`?, `delta`?, `gpu`, `min-sites` and one `hp-<name>` per
hyperparameter (`_` written `-`). `approved_view` inverts it into what `run_config(spec)` returns, which
is what approvals bind, so the gate compares like with like. Anything it does not know is refused: a key
the gate ignored would be a setting nobody approved.

`delta` is written only when the job's hyperparameters give one (the app's default is 1e-5), so the
round trip is exact. `min-sites` is a dispatch setting (how many sites must answer for a round to count),
not part of the approval; it must be a whole number of at least 1.
"""

from __future__ import annotations

import math
import re
from typing import Any

from federation.criteria import parse_criteria
from federation.jobs.record import PRIVACY_MODES, STRATEGIES, JobSpec
from registry.errors import InputError

Scalar = bool | int | float | str
HP_PREFIX = "hp-"
DEFAULT_DELTA = 1e-5
# keys of the job itself; `task` and `delta` live in the job's hyperparameters
_TOP = ("job", "task", "cohort", "strategy", "num-server-rounds", "privacy", "epsilon", "delta", "gpu",
        "min-sites")  # fmt: skip
_HP_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}\Z")
_LIFTED = ("task", "delta")  # hyperparameters that are top-level keys of the flat config


def flower_run_config(spec: JobSpec, job_iri: str, *, min_sites: int | None = None) -> dict[str, Scalar]:
    """The flat run config of `spec`; `min_sites` defaults to every target site."""
    hp = dict(spec.hyperparameters)
    need = len(spec.sites) if min_sites is None else min_sites
    if isinstance(need, bool) or not isinstance(need, int) or need < 1:
        raise InputError("min_sites must be a whole number of at least 1")
    flat: dict[str, Scalar] = {
        "job": job_iri,
        "cohort": parse_criteria(spec.criteria).canonical(),
        "strategy": spec.strategy,
        "num-server-rounds": spec.rounds,
        "privacy": spec.privacy,
        "gpu": spec.gpu,
        "min-sites": need,
    }
    if spec.epsilon is not None:
        flat["epsilon"] = float(spec.epsilon)
    if "task" in hp:
        flat["task"] = _text(hp.pop("task"), "task")
    if "delta" in hp:
        flat["delta"] = _positive(hp.pop("delta"), "delta")
    for name, value in sorted(hp.items()):
        if not isinstance(name, str) or not _HP_NAME.match(name):
            raise InputError(
                f"hyperparameter name {str(name)[:40]!r} is not lower-case letters, digits and '_'"
            )
        flat[HP_PREFIX + name.replace("_", "-")] = _scalar(value, name)
    return flat


def approved_view(
    flat: dict[str, Any],
    *,
    defaults: dict[str, Any] | None = None,
    approved: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The nested run configuration (as `run_config(spec)` has it) a flat run config asks for.

    Flower fills every key the app declares with the app's default before a run starts, so a site sees
    keys the job never set. With the FAB's `defaults` (`app_defaults`) and the run configuration of the
    approval being compared (`approved`), an optional key (`epsilon`, `task`, `delta`, `hp-*`) that the
    approval does not name is left out when it still has the app's own default: that value is part of
    the app the FAB hash approves. Changed from the default, it stays in, and is then not within.
    """
    if not isinstance(flat, dict):
        raise InputError("a run config must be a mapping of names to values")
    for key in flat:
        if not isinstance(key, str) or (key not in _TOP and not key.startswith(HP_PREFIX)):
            raise InputError(f"run config key {str(key)[:60]!r} is not a fairgrid training setting")
    for key in ("job", "cohort", "strategy", "num-server-rounds", "privacy", "gpu", "min-sites"):
        if key not in flat:
            raise InputError(f"run config lacks {key!r}")
    _text(flat["job"], "job")
    cohort = parse_criteria(_text(flat["cohort"], "cohort")).canonical()
    strategy = _text(flat["strategy"], "strategy")
    if strategy not in STRATEGIES:
        raise InputError(f"strategy {strategy[:40]!r} is not one of {', '.join(STRATEGIES)}")
    privacy = _text(flat["privacy"], "privacy")
    if privacy not in PRIVACY_MODES:
        raise InputError(f"privacy {privacy[:40]!r} is not one of {', '.join(PRIVACY_MODES)}")
    rounds, min_sites = flat["num-server-rounds"], flat["min-sites"]
    for name, value in (("num-server-rounds", rounds), ("min-sites", min_sites)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"{name} must be a whole number of at least 1")
    if not isinstance(flat["gpu"], bool):
        raise InputError("gpu must be true or false")
    allowed_hp = (approved or {}).get("hyperparameters")
    named = set(allowed_hp) if isinstance(allowed_hp, dict) else set()

    def keep(key: str, name: str, in_approval: bool) -> bool:
        if in_approval or defaults is None or key not in defaults:
            return True
        return bool(flat[key] != defaults[key] or type(flat[key]) is not type(defaults[key]))

    hp: dict[str, Any] = {}
    for key, value in flat.items():
        if key.startswith(HP_PREFIX):
            name = key[len(HP_PREFIX) :].replace("-", "_")
            if not _HP_NAME.match(name) or name in _LIFTED:
                raise InputError(f"run config key {key[:60]!r} is not a valid hyperparameter key")
            checked = _scalar(value, name)
            if keep(key, name, name in named):
                hp[name] = checked
    if "task" in flat and keep("task", "task", "task" in named):
        hp["task"] = _text(flat["task"], "task")
    if "delta" in flat and keep("delta", "delta", "delta" in named):
        hp["delta"] = _positive(flat["delta"], "delta")
    view: dict[str, Any] = {
        "cohort": cohort,  # bound by the approval: compared for equality (`approvals.within`)
        "strategy": strategy,
        "rounds": rounds,
        "privacy": privacy,
        "gpu": flat["gpu"],
        "hyperparameters": hp,
    }
    if "epsilon" in flat and keep("epsilon", "epsilon", "epsilon" in (approved or {})):
        view["epsilon"] = _positive(flat["epsilon"], "epsilon")
    return view


def check_declared(flat: dict[str, Scalar], defaults: dict[str, Any]) -> None:
    """Every key of the run config is one the app declares, with a value of the declared kind. The
    SuperLink refuses a run with an undeclared key (flwr's fuse_dicts), but only when the run starts:
    a job asking for `learning_rate` (the app's is `lr`) was submitted and approved by every custodian
    first."""
    declared = sorted(k[len(HP_PREFIX) :].replace("-", "_") for k in defaults if k.startswith(HP_PREFIX))
    for key, value in flat.items():
        name = key[len(HP_PREFIX) :].replace("-", "_") if key.startswith(HP_PREFIX) else key
        if key not in defaults:
            raise InputError(
                f"hyperparameter {name!r} is not one the training app declares",
                hint=f"the app declares: {', '.join(declared)} (and task, delta)",
            )
        default = defaults[key]
        kinds: tuple[type, ...] = (int, float) if type(default) is float else (type(default),)
        if isinstance(value, bool) is not isinstance(default, bool) or not isinstance(value, kinds):
            want = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}
            raise InputError(f"{name} must be {want.get(type(default), type(default).__name__)}")


def app_defaults(fab: bytes) -> dict[str, Any]:
    """The run config defaults the FAB's pyproject.toml declares (read as data: no app code runs)."""
    import io
    import tomllib
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(fab)) as z:
            text = z.read("pyproject.toml").decode("utf-8")
        config = tomllib.loads(text).get("tool", {}).get("flwr", {}).get("app", {}).get("config", {})
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"the FAB's pyproject.toml cannot be read ({type(exc).__name__})") from None
    out: dict[str, Any] = {}

    def flatten(prefix: str, value: Any) -> None:  # flwr flattens nested tables with "."
        if isinstance(value, dict):
            for k, v in value.items():
                flatten(f"{prefix}.{k}" if prefix else str(k), v)
        else:
            out[prefix] = value

    flatten("", config)
    return out


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise InputError(f"{name} must be non-empty text")
    return value


def _positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{name} must be a number")
    if value <= 0:
        raise InputError(f"{name} must be above 0")
    return float(value)


def _scalar(value: Any, name: str) -> Scalar:
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"hyperparameter {name!r} must be a finite number")
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        raise InputError(f"hyperparameter {name!r} is outside the 64-bit integers Flower's run config holds")
    if not isinstance(value, bool | int | float | str):
        raise InputError(
            f"hyperparameter {name!r} must be a number, text or true/false (Flower's run config)"
        )
    return value
