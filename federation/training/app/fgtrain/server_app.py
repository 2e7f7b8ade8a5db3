"""The ServerApp: FedAvg or FedProx rounds over the sites, optional central DP, outputs for the hub.

Rounds are driven here rather than by `Strategy.start`, for three reasons: the strategy's own loop pulls
replies through `Grid.send_and_receive`, which sleeps 3 s between pulls, while this loop polls every
0.1 s (`push_messages` / `pull_messages` are public); each round is written to `progress.jsonl` as soon
as it ends, so the hub can follow a run; and a round costs one message per site, not two
(train, then evaluate). Every message starts a ClientApp process at the site (torch and all), so the
sites score the model they receive (the previous round's) before training it, and only the last model
gets an evaluate message of its own. Each round's line is written as soon as its training ends, with the
scores of the model it started from (`metrics.model_round` = round - 1); the last line has the final
model's scores (`model_round` = the last round). The strategy still configures and aggregates each round.

A site that fails (error reply, a SuperNode that went away, a gate refusal) is left out of that round's
aggregate; the run goes on while at least `min-sites` sites reply, and fails otherwise.
"""

from __future__ import annotations

import json
import math
import time
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import DifferentialPrivacyServerSideFixedClipping, FedAvg, FedProx, Strategy
from safetensors.torch import save_file

from federation.training.data import task_of
from fgtrain import dp
from fgtrain.task import Hyper, load_arrays, new_model

app = ServerApp()
POLL_S = 0.1
ROUND_TIMEOUT_S = 900.0


class TooFewSites(RuntimeError):
    pass


class Diverged(RuntimeError):
    """The aggregated model's weights are no longer finite numbers: every later round, score and saved
    model would be NaN (before, such a run completed, with an AUC computed from NaN scores)."""


def _nan_to_none(value: float) -> float | None:
    # NaN is what a site's disclosure suppressed; infinity, a loss that overflowed: neither is a figure
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _errors(replies: list[Message]) -> str:
    """The sites' own reasons for failed replies, so a run that fails says why."""
    reasons = sorted({str(m.error.reason)[:300] for m in replies if m.has_error()})
    return f" ({'; '.join(reasons[:3])})" if reasons else ""


def _finite(arrays: ArrayRecord) -> bool:
    return all(bool(np.isfinite(a).all()) for a in arrays.to_numpy_ndarrays())


def _metrics(msg: Message) -> dict[str, float]:
    record = next(iter(msg.content.metric_records.values()))
    return {k: float(v) for k, v in record.items() if isinstance(v, int | float)}


def _site_id(msg: Message) -> str:
    record = msg.content.config_records.get("site")
    return str(record["site-id"]) if record is not None else f"node-{msg.metadata.src_node_id}"


def weighted_mean(records: list[RecordDict], weight_key: str) -> MetricRecord:
    """Weighted by `weight_key`, skipping NaN (a value a site's disclosure rules suppressed)."""
    sums: dict[str, float] = {}
    weights: dict[str, float] = {}
    for rec in records:
        metrics = next(iter(rec.metric_records.values()))
        w = float(metrics.get(weight_key, 0.0))  # type: ignore[arg-type]
        for key, value in metrics.items():
            if key == weight_key or not isinstance(value, int | float) or not math.isfinite(value) or w <= 0:
                continue
            sums[key] = sums.get(key, 0.0) + w * float(value)
            weights[key] = weights.get(key, 0.0) + w
    return MetricRecord({k: sums[k] / weights[k] for k in sums})


def exchange(grid: Grid, messages: Iterable[Message], timeout: float = ROUND_TIMEOUT_S) -> list[Message]:
    """Push, then pull every POLL_S until each message has its reply or the timeout passes."""
    pending = set(grid.push_messages(list(messages)))
    replies: list[Message] = []
    deadline = time.monotonic() + timeout
    while pending:
        got = list(grid.pull_messages(pending))
        replies += got
        pending -= {m.metadata.reply_to_message_id for m in got}
        if not pending or time.monotonic() >= deadline:
            break
        time.sleep(POLL_S)
    return replies


def make_strategy(cfg: dict[str, Any], hp: Hyper) -> tuple[Strategy, float | None]:
    """The configured strategy and, under central DP, the noise multiplier it uses."""
    min_sites = max(1, int(cfg.get("min-sites", 1)))
    common: dict[str, Any] = {
        "min_train_nodes": min_sites,
        "min_evaluate_nodes": min_sites,
        "min_available_nodes": min_sites,
        "weighted_by_key": "weight",
        "train_metrics_aggr_fn": weighted_mean,
        "evaluate_metrics_aggr_fn": weighted_mean,
    }
    strategy: Strategy
    if cfg.get("strategy") == "FedProx":
        strategy = FedProx(proximal_mu=hp.proximal_mu, **common)
    else:
        strategy = FedAvg(**common)
    if cfg.get("privacy") != "central":
        return strategy, None
    z = dp.noise_multiplier(
        float(cfg["epsilon"]), float(cfg.get("delta", 1e-5)), int(cfg["num-server-rounds"])
    )
    # Noise is scaled to min-sites, the fewest sites a round may aggregate: with more replying, the sum
    # carries more noise than the accountant needs, never less.
    return DifferentialPrivacyServerSideFixedClipping(strategy, z, hp.clip_norm, min_sites), z


class Outputs:
    """The run's folder under FAIRGRID_TRAINING_OUT: progress.jsonl, model.safetensors, metrics.json and,
    last, done.json."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def write(self, name: str, obj: Any, *, append: bool = False) -> None:
        if self.folder is None:
            return
        text = json.dumps(obj, sort_keys=True, allow_nan=False)
        if append:
            with (self.folder / name).open("a", encoding="utf-8") as fh:
                fh.write(text + "\n")
        else:
            tmp = self.folder / f".{name}.tmp"
            tmp.write_text(text + "\n", encoding="utf-8")
            tmp.replace(self.folder / name)  # readers never see half a file


def _evaluations(replies: list[Message]) -> tuple[dict[str, dict[str, Any]], float | None, float]:
    """Per-site AUC and test count from replies, and the AUC averaged over sites by their test counts."""
    sites: dict[str, dict[str, Any]] = {}
    total = weight = 0.0
    for msg in replies:
        m = _metrics(msg)
        value, n = m.get("auc", math.nan), m.get("num-test", math.nan)
        sites[_site_id(msg)] = {"auc": _nan_to_none(value), "num_test": _nan_to_none(n)}
        if math.isfinite(value) and math.isfinite(n):
            total += value * n
            weight += n
    return sites, (total / weight if weight else None), weight


def _finish(line: dict[str, Any], replies: list[Message], model_round: int) -> dict[str, Any]:
    """A round's line with the scores in `replies`, which are those of the model of `model_round`."""
    sites, value, n = _evaluations(replies)
    for site, numbers in sites.items():
        line["sites"].setdefault(site, {}).update(numbers)
    line["metrics"] = {"auc": value, "model_round": model_round}
    line["num_test"] = n
    return line


def _train(
    grid: Grid, strategy: Strategy, number: int, arrays: ArrayRecord, min_sites: int
) -> tuple[ArrayRecord, dict[str, Any], list[Message]]:
    """One round of training. Each site also scores the model it receives (the previous round's) on its
    held-out patients before training: one ClientApp process per site per round instead of two."""
    started = time.time()
    config = ConfigRecord({"evaluate-incoming": number > 1})
    replies = exchange(grid, strategy.configure_train(number, arrays, config, grid))
    answered = [m for m in replies if not m.has_error()]
    # a site whose own training diverged sits this round out, as a failed site does: averaged in, its
    # NaN weights would make every site's model NaN
    ok = [m for m in answered if all(_finite(a) for a in m.content.array_records.values())]
    kept = {id(m) for m in ok}
    diverged = sorted(_site_id(m) for m in answered if id(m) not in kept)
    if len(ok) < min_sites:
        if diverged:
            raise Diverged(
                f"round {number}: training diverged at {', '.join(diverged)} (weights that are not "
                f"finite numbers), {len(ok)} site(s) left, the job needs {min_sites}; submit the job "
                "again with a lower hp-lr"
            )
        raise TooFewSites(
            f"round {number}: {len(ok)} site(s) trained, the job needs {min_sites}{_errors(replies)}"
        )
    new_arrays, train_metrics = strategy.aggregate_train(number, ok)
    if new_arrays is None:
        raise TooFewSites(f"round {number}: the site updates could not be aggregated")
    if not _finite(new_arrays):
        raise Diverged(
            f"round {number}: training diverged (the model's weights are no longer finite numbers); "
            "submit the job again with a lower hp-lr or a smaller hp-clip-norm"
        )
    sites: dict[str, dict[str, Any]] = {}
    for msg in ok:
        m = _metrics(msg)
        sites[_site_id(msg)] = {
            "num_examples": _nan_to_none(m.get("num-examples", math.nan)),
            "train_s": m.get("train-s"),
            "train_loss": _nan_to_none(m.get("train-loss", math.nan)),
        }
    loss = dict(train_metrics or {}).get("train-loss")
    line = {
        "round": number,
        "started": started,
        "ended": time.time(),
        "train_loss": _nan_to_none(loss) if isinstance(loss, int | float) else None,
        "metrics": {"auc": None},
        "num_test": 0.0,
        "sites": sites,
        "failed": len(replies) - len(ok),
        "diverged": diverged,
    }
    return new_arrays, line, ok


def run(grid: Grid, cfg: dict[str, Any], out: Path | None) -> dict[str, Any]:
    """All rounds; returns metrics.json's content. Writes the outputs when `out` is a folder."""
    outputs = Outputs(out)
    try:
        task = task_of(str(cfg["task"]))
        hp = Hyper.from_run_config(cfg)
        min_sites = max(1, int(cfg.get("min-sites", 1)))
        features = list(task.features)
        model = new_model(task.name, len(features), hp)
        from fgtrain.task import to_arrays

        arrays = to_arrays(model)
        strategy, z = make_strategy(cfg, hp)
        rounds: list[dict[str, Any]] = []
        total = int(cfg["num-server-rounds"])
        for number in range(1, total + 1):
            arrays, line, replies = _train(grid, strategy, number, arrays, min_sites)
            if number == total:  # the last model: one evaluate message per site, then the last line
                evaluate = strategy.configure_evaluate(0, arrays, ConfigRecord(), grid)
                replies = [m for m in exchange(grid, evaluate) if not m.has_error()]
            # an earlier line carries the scores of the model the round started from (round number - 1)
            rounds.append(_finish(line, replies, number if number == total else number - 1))
            outputs.write("progress.jsonl", line, append=True)
        load_arrays(model, arrays)
        last = rounds[-1]
        privacy = str(cfg.get("privacy", "none"))
        result = {
            "task": task.name,
            "job": cfg.get("job", ""),
            "strategy": cfg.get("strategy", "FedAvg"),
            "privacy": privacy,
            "epsilon": float(cfg["epsilon"]) if privacy != "none" else None,
            "delta": float(cfg.get("delta", 1e-5)) if privacy != "none" else None,
            "noise_multiplier": z,
            "rounds": rounds,
            "final": {"auc": last["metrics"]["auc"], "num_examples": last["num_test"]},
            "features": features,
            "sites": sorted(last["sites"]),
            "hyperparameters": {k: v for k, v in cfg.items() if k.startswith("hp-")},
        }
        if out is not None:
            meta = {"task": task.name, "features": json.dumps(features), "hidden": str(hp.hidden),
                    "job": str(cfg.get("job", ""))}  # fmt: skip
            save_file(
                {k: v.contiguous() for k, v in model.state_dict().items()},
                str(out / "model.safetensors"),
                meta,
            )
        outputs.write("metrics.json", result)
        outputs.write("done.json", {"status": "completed"})
        return result
    except Exception as exc:
        outputs.write("done.json", {"status": "failed", "error": f"{type(exc).__name__}: {exc}"})
        traceback.print_exc()
        raise


@app.main()
def main(grid: Grid, context: Context) -> None:
    from registry.config import Settings

    root = Settings.from_env().training_out
    run(grid, dict(context.run_config), None if root is None else root / str(context.run_id))
