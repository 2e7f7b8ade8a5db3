"""The ClientApp: trains and evaluates the global model on one site's cohort.

Patient data is read only through fairgrid's site-trusted `federation.training.data` (cohort selection at
the site, read-only store) and every number in a reply passes its `disclose` (the site's own policy) first.
Arrays leave the site only as model weights (clipped and noised first under local DP).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
from flwr.app import Array, ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from federation.training import data as site_data
from federation.training.metrics import auc
from fgtrain import dp
from fgtrain.task import Hyper, device_for, load_arrays, new_model, predict, to_arrays, train

app = ClientApp()


class TooFewPatients(ValueError):
    """The site has fewer patients than its disclosure threshold: it does not train (the weights and
    counts of so few patients would say too much about each)."""


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "1", "yes"))


def _site(context: Context) -> tuple[str, str]:
    node = context.node_config
    home = node.get("site-home")
    if not isinstance(home, str) or not home:
        raise ValueError("the SuperNode has no site-home in its node config")
    return str(node.get("site-id", "site")), home


def _site_run(context: Context) -> tuple[str, Hyper, site_data.Policy, site_data.SiteData]:
    """The site's id, the run's hyperparameters, the site's disclosure policy, and the site's patients for
    the run's task and cohort (both parts: training and held-out test)."""
    cfg = context.run_config
    site_id, home = _site(context)
    hp = Hyper.from_run_config(cfg)
    policy = site_data.site_policy(home)
    return site_id, hp, policy, site_data.load(home, str(cfg["task"]), cfg.get("cohort") or None)


def _seed(site_id: str, server_round: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{site_id}:{server_round}".encode()).digest()[:4], "big")


def _reply(msg: Message, metrics: dict[str, float], site_id: str, arrays: ArrayRecord | None) -> Message:
    values: dict[str, Any] = dict(metrics)
    content = RecordDict({"metrics": MetricRecord(values), "site": ConfigRecord({"site-id": site_id})})
    if arrays is not None:
        content["arrays"] = arrays
    return Message(content=content, reply_to=msg)


@app.train()
def train_fn(msg: Message, context: Context) -> Message:
    cfg = context.run_config
    site_id, hp, policy, everyone = _site_run(context)
    data, test = everyone.part(test=False), everyone.part(test=True)
    if len(data) < policy.threshold:
        raise TooFewPatients(f"{site_id}: fewer labelled patients than the site's threshold")
    device = device_for(_flag(cfg.get("gpu")), _flag(context.node_config.get("gpu")))
    model = new_model(data.task, len(data.features), hp)
    global_arrays = msg.content.array_records["arrays"]
    load_arrays(model, global_arrays)
    config = msg.content.config_records["config"]
    server_round = int(config.get("server-round", 0))  # type: ignore[arg-type]
    # the model received is the last round's: score it here rather than in a message (a process) of its own
    scored = _score(model, test) if config.get("evaluate-incoming") else {"auc": None, "num-test": None}
    fedprox = cfg.get("strategy") == "FedProx"
    anchor = [p.detach().clone() for p in model.parameters()] if fedprox else None
    result = train(model, data.x, data.mask, data.y, hp, device=device, seed=_seed(site_id, server_round),
                   global_params=anchor)  # fmt: skip
    arrays = to_arrays(model)
    if cfg.get("privacy") == "local":
        arrays = _local_dp(global_arrays, arrays, hp, cfg)
    released = site_data.disclose(
        {"num-examples": len(data), "train-loss": result.loss, "train-s": result.seconds, **scored}, policy
    )
    # FedAvg weights by site size; central DP needs equal weights (its noise is calibrated to the mean)
    released["weight"] = 1.0 if cfg.get("privacy") == "central" else released["num-examples"]
    return _reply(msg, released, site_id, arrays)


def _local_dp(global_arrays: ArrayRecord, local: ArrayRecord, hp: Hyper, cfg: dict[str, Any]) -> ArrayRecord:
    keys = list(local.keys())
    before = global_arrays.to_numpy_ndarrays()
    after = local.to_numpy_ndarrays()
    update = [(a - b).astype(np.float32) for a, b in zip(after, before, strict=True)]
    noisy = dp.privatise_local(
        update,
        clip_norm=hp.clip_norm,
        epsilon=float(cfg["epsilon"]),
        delta=float(cfg.get("delta", 1e-5)),
        rounds=int(cfg["num-server-rounds"]),
        # OS entropy, never a seed the server could know (site id, round): noise it can regenerate, it can
        # subtract, and the update would leave the site unprotected
        rng=np.random.default_rng(),
    )
    noised = [b + u for b, u in zip(before, noisy, strict=True)]
    return ArrayRecord({k: Array(np.asarray(a, dtype=np.float32)) for k, a in zip(keys, noised, strict=True)})


def _score(model: Any, test: site_data.SiteData) -> dict[str, Any]:
    """AUC on the site's held-out patients, with the count behind it (disclose suppresses small ones)."""
    value = auc(test.y, predict(model, test.x, test.mask)) if len(test) else None
    return {"auc": value, "auc-n": len(test), "num-test": len(test)}


@app.evaluate()
def evaluate_fn(msg: Message, context: Context) -> Message:
    site_id, hp, policy, everyone = _site_run(context)
    test = everyone.part(test=True)
    model = new_model(test.task, len(test.features), hp)
    load_arrays(model, msg.content.array_records["arrays"])
    released = site_data.disclose(_score(model, test), policy)
    released["weight"] = 0.0 if np.isnan(released["num-test"]) else released["num-test"]
    return _reply(msg, released, site_id, None)
