"""The real ClientApp and ServerApp, called directly: the ClientApp with Flower Messages, the ServerApp's
round loop against the ClientApp at two real site homes through an in-process Grid."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import torch
from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MessageType, RecordDict
from safetensors import safe_open

from federation.training.appcode import InProcessGrid, import_app
from federation.training.data import TASKS
from tests.federation.training.site_homes import make_homes

torch.set_num_threads(1)
client = import_app("client_app")
server = import_app("server_app")
task = import_app("task")
dp = import_app("dp")


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return make_homes(tmp_path_factory.mktemp("app-homes"))


def _cfg(**extra: Any) -> dict[str, Any]:
    base = {"job": "https://example.org/job/1", "task": "mds-aml", "cohort": "", "strategy": "FedAvg",
            "num-server-rounds": 2, "privacy": "none", "min-sites": 2, "hp-local-epochs": 1, "hp-hidden": 8}  # fmt: skip
    return {**base, **extra}


def _nodes(homes: list[Path]) -> dict[int, dict[str, Any]]:
    return {
        10 + i: {"site-id": f"hospital-{i}", "site-home": str(h), "gpu": False} for i, h in enumerate(homes)
    }


def _message(kind: str, cfg: dict[str, Any], node: int = 10) -> Message:
    hp = task.Hyper.from_run_config(cfg)
    model = task.new_model("mds-aml", 20, hp)
    content = RecordDict({"arrays": task.to_arrays(model), "config": ConfigRecord({"server-round": 1})})
    InProcessGrid(client.app, {}, cfg)  # sets the process's task identity for new messages
    msg = Message(content=content, message_type=kind, dst_node_id=node)
    msg.metadata.__dict__["_message_id"] = "m1"
    return msg


def test_client_train_reply_is_disclosed(homes: list[Path]) -> None:
    cfg = _cfg()
    context = Context(1, 10, _nodes(homes)[10], RecordDict(), cfg)
    reply = client.app(_message(MessageType.TRAIN, cfg), context)
    metrics = dict(reply.content.metric_records["metrics"])
    # nothing else leaves: no exact count (the site policy rounds to 5), no patient-level value
    assert set(metrics) == {"num-examples", "train-loss", "train-s", "auc", "num-test", "weight"}
    assert metrics["num-examples"] % 5 == 0
    assert metrics["weight"] == metrics["num-examples"] and metrics["train-s"] > 0
    assert set(reply.content.array_records["arrays"]) == set(
        task.new_model("mds-aml", 20, task.Hyper.from_run_config(cfg)).state_dict()
    )
    assert reply.content.config_records["site"]["site-id"] == "hospital-0"


def test_client_evaluate_and_a_node_without_site_home(homes: list[Path]) -> None:
    cfg = _cfg()
    reply = client.app(
        _message(MessageType.EVALUATE, cfg), Context(1, 10, _nodes(homes)[10], RecordDict(), cfg)
    )
    value = reply.content.metric_records["metrics"]["auc"]
    assert math.isnan(value) or 0.0 <= value <= 1.0
    assert "arrays" not in reply.content.array_records
    with pytest.raises(ValueError, match="site-home"):
        client.app(_message(MessageType.TRAIN, cfg), Context(1, 10, {"site-id": "x"}, RecordDict(), cfg))


def test_two_rounds_write_the_contract_outputs(homes: list[Path], tmp_path: Path) -> None:
    cfg = _cfg(strategy="FedProx", **{"hp-proximal-mu": 0.1})
    grid = InProcessGrid(client.app, _nodes(homes), cfg)
    result = server.run(grid, cfg, tmp_path)
    lines = [json.loads(x) for x in (tmp_path / "progress.jsonl").read_text().splitlines()]
    assert [line["round"] for line in lines] == [1, 2]
    assert set(lines[0]["sites"]) == {"hospital-0", "hospital-1"}
    site = lines[0]["sites"]["hospital-0"]
    assert {"num_examples", "auc", "train_s"} <= set(site) and site["train_s"] > 0
    assert lines[0]["ended"] >= lines[0]["started"]
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics == json.loads(json.dumps(result))
    assert metrics["strategy"] == "FedProx" and metrics["rounds"] == lines and metrics["epsilon"] is None
    assert metrics["features"] == list(TASKS["mds-aml"].features)
    assert json.loads((tmp_path / "done.json").read_text()) == {"status": "completed"}
    with safe_open(str(tmp_path / "model.safetensors"), "pt") as f:
        meta = f.metadata()
        assert meta["task"] == "mds-aml" and json.loads(meta["features"]) == metrics["features"]
    kinds = [kind for _, kind in grid.delivered]  # one message per site per round, one final evaluation
    assert kinds.count(MessageType.TRAIN) == 4 and kinds.count(MessageType.EVALUATE) == 2
    # round 1's line: written at once, no model scored yet; round 2's: the scores of the final model
    assert lines[0]["metrics"] == {"auc": None, "model_round": 0}
    assert lines[1]["metrics"]["model_round"] == 2 and 0.0 <= lines[1]["metrics"]["auc"] <= 1.0
    assert lines[1]["num_test"] > 0 and lines[1]["sites"]["hospital-1"]["auc"] is not None


def test_a_site_that_drops_does_not_sink_the_run_above_min_sites(homes: list[Path], tmp_path: Path) -> None:
    cfg = _cfg(**{"min-sites": 1})
    grid = InProcessGrid(client.app, _nodes(homes), cfg)
    grid.down.add(11)  # gone before the run: never sampled
    result = server.run(grid, cfg, tmp_path / "a")
    assert result["sites"] == ["hospital-0"]

    class DropsAfterFirstRound(InProcessGrid):
        def _deliver(self, msg: Message) -> Message:
            if msg.content.config_records["config"].get("server-round") == 2:
                self.down.add(11)  # killed mid-run: already sampled for round 2
            return super()._deliver(msg)

    grid = DropsAfterFirstRound(client.app, _nodes(homes), cfg)
    grid.get_node_ids = lambda: [10, 11]  # type: ignore[method-assign]  # the link has not noticed yet
    result = server.run(grid, cfg, tmp_path / "b")
    assert result["rounds"][1]["failed"] == 1 and list(result["rounds"][1]["sites"]) == ["hospital-0"]
    assert set(result["rounds"][0]["sites"]) == {"hospital-0", "hospital-1"}
    assert set(result["rounds"][1]["sites"]) == {"hospital-0"}  # nor among the final model's scores
    assert json.loads((tmp_path / "b" / "done.json").read_text())["status"] == "completed"


def test_too_few_sites_fails_the_run_with_done_json(homes: list[Path], tmp_path: Path) -> None:
    cfg = _cfg(**{"min-sites": 2})
    grid = InProcessGrid(client.app, _nodes(homes), cfg)
    grid.get_node_ids = lambda: [10, 11]  # type: ignore[method-assign]
    grid.down.add(11)
    with pytest.raises(server.TooFewSites):
        server.run(grid, cfg, tmp_path)
    done = json.loads((tmp_path / "done.json").read_text())
    assert done["status"] == "failed" and "needs 2" in done["error"]
    assert not (tmp_path / "model.safetensors").exists()


@pytest.mark.parametrize("privacy", ["central", "local"])
def test_differential_privacy_runs_with_the_stated_epsilon(
    homes: list[Path], tmp_path: Path, privacy: str
) -> None:
    cfg = _cfg(privacy=privacy, epsilon=4.0, delta=1e-5, **{"hp-clip-norm": 0.5})
    result = server.run(InProcessGrid(client.app, _nodes(homes), cfg), cfg, tmp_path)
    assert result["privacy"] == privacy and result["epsilon"] == 4.0
    if privacy == "central":
        assert result["noise_multiplier"] == pytest.approx(dp.noise_multiplier(4.0, 1e-5, 2))
    assert json.loads((tmp_path / "done.json").read_text()) == {"status": "completed"}


@pytest.mark.parametrize(
    ("setting", "why"),
    [
        ({"hp-lr": 1e20}, "hp-lr is 1e\\+20: it must be above 0 and at most 10"),
        ({"hp-lr": 0.0}, "hp-lr is 0"),
        ({"hp-hidden": 10**9}, "hp-hidden is 1000000000: it must be from 0 to 4096"),  # 80 GB per site
        ({"hp-hidden": 10**400}, "hp-hidden is 1000"),
        ({"hp-local-epochs": 10**6}, "hp-local-epochs"),
        ({"hp-batch-size": 0}, "hp-batch-size is 0"),
        ({"hp-local-epochs": 2.5}, "hp-local-epochs must be a whole number"),
        ({"hp-lr": "fast"}, "hp-lr must be a number"),
    ],
)
def test_a_setting_out_of_range_fails_the_run_before_any_site_trains(
    homes: list[Path], tmp_path: Path, setting: dict[str, Any], why: str
) -> None:
    cfg = _cfg(**setting)
    grid = InProcessGrid(client.app, _nodes(homes), cfg)
    with pytest.raises(ValueError, match=why):
        server.run(grid, cfg, tmp_path)
    assert grid.delivered == []
    done = json.loads((tmp_path / "done.json").read_text())
    assert done["status"] == "failed" and setting.popitem()[0] in done["error"]


class Diverging(InProcessGrid):
    """Sites whose training diverges from round 2 on: their updates are NaN."""

    def __init__(self, *args: Any, nodes: set[int], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.diverging = nodes

    def _deliver(self, msg: Message) -> Message:
        reply = super()._deliver(msg)
        arrays = reply.content.array_records.get("arrays")
        late = msg.content.config_records["config"].get("server-round", 0) >= 2  # type: ignore[operator]
        if arrays is not None and late and msg.metadata.dst_node_id in self.diverging:
            state = {k: torch.full_like(v, float("nan")) for k, v in arrays.to_torch_state_dict().items()}
            reply.content.array_records["arrays"] = ArrayRecord(torch_state_dict=state)
        return reply


def test_a_site_that_diverges_sits_the_round_out(homes: list[Path], tmp_path: Path) -> None:
    cfg = _cfg(**{"num-server-rounds": 3, "min-sites": 1})
    result = server.run(Diverging(client.app, _nodes(homes), cfg, nodes={11}), cfg, tmp_path)
    rounds = result["rounds"]
    assert [(r["failed"], r["diverged"]) for r in rounds] == [
        (0, []),
        (1, ["hospital-1"]),
        (1, ["hospital-1"]),
    ]
    assert 0.0 <= result["final"]["auc"] <= 1.0  # hospital-0's model, not NaN
    assert json.loads((tmp_path / "done.json").read_text()) == {"status": "completed"}


def test_a_model_that_diverges_fails_the_run_instead_of_completing(homes: list[Path], tmp_path: Path) -> None:
    # before, weights that had become NaN were saved as a completed model with an AUC of NaN scores
    cfg = _cfg(**{"num-server-rounds": 3})
    with pytest.raises(server.Diverged, match="round 2: training diverged at hospital-0, hospital-1"):
        server.run(Diverging(client.app, _nodes(homes), cfg, nodes={10, 11}), cfg, tmp_path)
    done = json.loads((tmp_path / "done.json").read_text())
    assert done["status"] == "failed" and "hp-lr" in done["error"]
    assert not (tmp_path / "model.safetensors").exists()
    lines = [json.loads(x) for x in (tmp_path / "progress.jsonl").read_text().splitlines()]
    assert [line["round"] for line in lines] == [1]


def test_a_run_that_fails_says_why_the_sites_failed(homes: list[Path], tmp_path: Path) -> None:
    cfg = _cfg()
    nodes = {node: {"site-id": info["site-id"], "gpu": False} for node, info in _nodes(homes).items()}
    with pytest.raises(server.TooFewSites, match="0 site.*needs 2 .*site-home"):
        server.run(InProcessGrid(client.app, nodes, cfg), cfg, tmp_path)
