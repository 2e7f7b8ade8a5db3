"""Federated versus centralized versus single-site training on synthetic MDS and MM cohorts.

    .venv/bin/python bench/federated.py [--sizes 600,1000,2400] [--rounds 20] [--seeds 7,8,9] [--hp hidden=16]

Three synthetic sites per use case (federation/synth), sizes as given (patients synthesised per site); as in
`fairgrid synth`, the last site has no NGS panel, so its mutation columns are all missing. Every site's
patients are split by federation.training.data's fixed hash split, and the one pooled held-out set (the
union of the sites' test halves) scores all three models:
- centralized: the same model trained on the pooled training halves (as if the data could be pooled);
- each site alone, on its own training half (best_single_site is the best of the three);
- federated: the real ServerApp loop (FedAvg) driving the real ClientApp at each site through an in-process
  grid, with the same number of local epochs in total as the centralized model.
- oracle: the ground truth's own scores on the same test set (federation/synth/risk.py, each site's
  truth.csv): `oracle_lp`, the true linear predictor of the outcome's hazard, and `oracle`, the label's
  probability given both true hazards (see oracle_auc): about the ceiling for any model on these data.
The app's defaults (federation/training/app/fgtrain/task.py) were chosen on a validation split of the
training halves (bench/federated_select.py), never on this test set; `--hp name=value` sets one
hyperparameter for every arm (`--hp hidden=16` is the MLP).
The orchestration overhead per round (round wall time minus the slowest site's train_s) is measured on
real processes: the first seed's MDS sites run a governed job (registry, signed approvals, SuperLink,
SuperNodes with their gates, federation/training/local.py) for --real-rounds rounds.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from federation.site.home import init_site  # noqa: E402
from federation.site.store import SiteStore  # noqa: E402
from federation.site.terminology import Terminology  # noqa: E402
from federation.synth.cohort import GENERATORS  # noqa: E402
from federation.synth.emit import SiteWriter  # noqa: E402
from federation.synth.run import site_profiles  # noqa: E402
from federation.training import data as site_data  # noqa: E402
from federation.training.appcode import InProcessGrid, import_app  # noqa: E402
from federation.training.metrics import auc  # noqa: E402

USE_CASES = {"mds": "mds-aml", "mm": "mm-relapse-18m"}
OUTCOMES = {"mds": "aml-transformation", "mm": "progression"}  # risk.py's hazard behind each task's label


def build_sites(use_case: str, sizes: list[int], seed: int, root: Path) -> list[Path]:
    """Synthesise and load one site home per size (federation/synth's generators and site profiles)."""
    homes = []
    gen = GENERATORS[use_case]
    for profile, size in zip(site_profiles(use_case, len(sizes), seed), sizes, strict=True):
        name = f"site-{profile.index + 1}"
        out = root / use_case / "synth" / name
        rng = random.Random(f"{seed}|{use_case}|site|{profile.index}")
        writer = SiteWriter(out, use_case, profile, seed)
        try:
            for number in range(size):
                writer.add(gen(rng, profile, number), rng)
        finally:
            writer.close()
        home = init_site(root / use_case / "homes" / name, name, secret=f"bench-{name}")
        with SiteStore(home.store_path, terminology=Terminology.fallback()) as store:
            store.load([out / "fhir"])
        homes.append(home.path)
    return homes


def oracle_auc(root: Path, use_case: str, test: site_data.SiteData) -> tuple[float | None, float | None]:
    """The ground truth's own AUCs on `test` (truth.csv holds each patient's true linear predictors):
    the outcome's true linear predictor alone, and the probability of the label given both true hazards
    (outcome rate a, death rate d, horizon h, follow-up assumed past h): P1 = a / (a + d) * (1 - e^-(a+d)h)
    against P0 = e^-(a+d)h, so y = 1 with P1 / (P1 + P0). Deaths before the horizon leave a patient
    unlabelled, so death's risk factors carry signal too; the second figure counts that."""
    import math

    import numpy as np

    from federation.synth.risk import MODELS

    outcome = OUTCOMES[use_case]
    rates = {h.name: h.base_rate for h in MODELS[use_case]}
    horizon = site_data.task_of(USE_CASES[use_case]).horizon_years
    truth: dict[tuple[str, str], float] = {}
    for path in sorted((root / use_case / "synth").glob("site-*/truth.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                truth[(row["patient_id"], row["outcome"])] = float(row["linear_predictor"])
    lp, bayes = [], []
    for pid in test.patient_ids:
        a = rates[outcome] * math.exp(truth[(pid, outcome)])
        d = rates["death"] * math.exp(truth[(pid, "death")])
        p0 = math.exp(-(a + d) * horizon)
        p1 = a / (a + d) * (1.0 - p0)
        lp.append(truth[(pid, outcome)])
        bayes.append(p1 / (p1 + p0))
    y = test.y
    return auc(y, np.asarray(lp, dtype=np.float64)), auc(y, np.asarray(bayes, dtype=np.float64))


def fit_and_score(
    task: Any, train: site_data.SiteData, test: site_data.SiteData, hp: Any, epochs: int
) -> float:
    import torch

    model = task.new_model(train.task, len(train.features), hp)
    task.train(model, train.x, train.mask, train.y, hp, device=torch.device("cpu"), seed=1, epochs=epochs)
    value = auc(test.y, task.predict(model, test.x, test.mask))
    return float("nan") if value is None else value


def one_use_case(
    use_case: str,
    sizes: list[int],
    rounds: int,
    seed: int,
    root: Path,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    task_name = USE_CASES[use_case]
    task = import_app("task")
    server = import_app("server_app")
    client = import_app("client_app").app
    homes = build_sites(use_case, sizes, seed, root)
    sites = [site_data.load(home, task_name) for home in homes]
    test = site_data.SiteData.concat([s.part(test=True) for s in sites])
    trains = [s.part(test=False) for s in sites]
    cfg: dict[str, Any] = {"task": task_name, "strategy": "FedAvg", "num-server-rounds": rounds,
                           "privacy": "none", "min-sites": len(homes), "job": "bench",
                           **(extra or {})}  # fmt: skip
    hp = task.Hyper.from_run_config(cfg)
    epochs = rounds * hp.local_epochs
    centralized = fit_and_score(task, site_data.SiteData.concat(trains), test, hp, epochs)
    single = [fit_and_score(task, t, test, hp, epochs) for t in trains]
    nodes = {
        i + 1: {"site-id": f"site-{i + 1}", "site-home": str(h), "gpu": False} for i, h in enumerate(homes)
    }
    out = root / use_case / "run"
    started = time.perf_counter()
    result = server.run(InProcessGrid(client, nodes, cfg), cfg, out)
    wall = time.perf_counter() - started
    model = task.new_model(task_name, len(test.features), hp)
    from safetensors.torch import load_file

    model.load_state_dict(load_file(str(out / "model.safetensors")))
    value = auc(test.y, task.predict(model, test.x, test.mask))
    oracle_lp, oracle = oracle_auc(root, use_case, test)
    return {
        "oracle_lp": round(float("nan") if oracle_lp is None else oracle_lp, 4),
        "oracle": round(float("nan") if oracle is None else oracle, 4),
        "centralized": round(centralized, 4),
        "single_sites": [round(v, 4) for v in single],
        "best_single_site": round(max(single), 4),
        "federated": round(float("nan") if value is None else value, 4),
        "federated_site_mean_auc": result["final"]["auc"],
        "patients": [len(s) for s in sites],
        "test_patients": len(test),
        "test_events": int(test.y.sum()),
        "in_process_s": round(wall, 2),
    }


def _mean(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Means over the seeds; best_single_site is the mean of each seed's best site."""

    def avg(values: list[float]) -> float:
        return round(sum(values) / len(values), 4)

    out: dict[str, Any] = {
        k: avg([r[k] for r in runs])
        for k in ("oracle_lp", "oracle", "centralized", "best_single_site", "federated")
    }
    out["single_sites"] = [
        avg([r["single_sites"][i] for r in runs]) for i in range(len(runs[0]["single_sites"]))
    ]
    out["patients"] = runs[0]["patients"]
    keys = ("oracle_lp", "oracle", "centralized", "best_single_site", "federated")
    out["per_seed"] = [{k: r[k] for k in keys} for r in runs]
    out["test_patients"] = [r["test_patients"] for r in runs]
    return out


def _site_ttl(site: str, home: Path) -> str:
    from federation.signing import public_text
    from federation.site.keys import site_key

    base = "https://w3id.org/fairgrid/"
    return f"""@prefix fg: <https://w3id.org/fairgrid/ns#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<{base}site/{site}> a fg:Site, foaf:Organization ; foaf:name "Bench {site}" ; fg:siteId "{site}" ;
  fg:signingKey "{public_text(site_key(home))}" .
<{base}dataset/{site}-mds> a dcat:Dataset ; dct:identifier "{site}-mds" ; dct:title "MDS at {site}"@en ;
  dct:description "MDS patients of {site}."@en ; fg:hostedAt <{base}site/{site}> ."""


def overhead(
    homes: list[Path], rounds: int, root: Path, local_epochs: int | None = None
) -> dict[str, Any] | None:
    """A governed job on real processes (SuperLink, SuperNodes, gates; federation/training/local.py): the
    wall time of each round and that minus the slowest site's train_s. None when local.py is missing."""
    try:
        import pyoxigraph as ox

        from federation.jobs.approvals import governance_key
        from federation.jobs.dispatch import TrainingService
        from federation.jobs.record import JobSpec
        from federation.jobs.runner import LocalFlowerRunner
        from federation.jobs.service import JobService, custodian_approval
        from federation.signing import public_text
        from federation.site.approvals_store import ApprovalsStore, pin_governance_key
        from federation.site.keys import site_key
        from federation.training.appcode import app_dir
        from federation.training.fab import build_fab
        from federation.training.local import LocalFlower
        from registry.config import Settings
        from registry.identity import Identity, Role, local_operator
        from registry.wiring import open_registry
    except ImportError:
        return None
    from datetime import UTC, datetime, timedelta

    member = Identity("bench", frozenset({Role.CONSORTIUM_MEMBER}))
    board = Identity("bench-board", frozenset({Role.CONSORTIUM_MEMBER}))  # a requester may not approve
    reg = open_registry(Settings(home=root / "hub"))
    flower = LocalFlower(root / "flower").start()
    try:
        sites = {home.name: home for home in homes}
        for site, home in sites.items():
            flower.add_node(site, home, wait=False)
        flower.wait_nodes(len(sites))
        me = local_operator()
        reg.importer.run(me, [ROOT / "ontologies" / "examples" / "consortium.ttl"])
        gov = governance_key(reg.settings.home)
        for site, home in sites.items():
            reg.records.create(me, _site_ttl(site, home), ox.RdfFormat.TURTLE)
            pin_governance_key(home, public_text(gov.public_key()))
        jobs = JobService(reg.records, gov)
        fab = build_fab(app_dir())
        mds = {"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "D46"}]]}
        spec = JobSpec(
            title="bench: orchestration overhead",
            model="https://w3id.org/fairgrid/model/mds-aml-progression",
            fab_hash=fab.hash,
            criteria=mds,
            sites=tuple(sorted(sites)),
            rounds=rounds,
            strategy="FedAvg",
            purpose="benchmark",
            expires=datetime.now(UTC) + timedelta(days=1),
            hyperparameters={"task": "mds-aml", **({"local_epochs": local_epochs} if local_epochs else {})},
        )
        job = jobs.approve(board, jobs.submit(member, spec).iri)
        for site, home in sorted(sites.items()):
            op = Identity(f"op-{site}", frozenset({Role.SITE_OPERATOR}), site=site)
            job = jobs.add_custodian_approval(
                op, job.iri, custodian_approval(site_key(home), job, site, op.subject)
            )
        for home in sites.values():
            ApprovalsStore(home).put(list(job.approvals), list(job.revocations))
        training = TrainingService(jobs, LocalFlowerRunner(flower), lambda: fab.content)
        job = training.follow(training.start(board, job.iri).iri, poll_s=0.3, timeout_s=900)
        history = (job.run or {}).get("history", [])
        walls = [h["ended"] - h["started"] for h in history]
        slowest = [max(float(s.get("train_s") or 0.0) for s in h["sites"].values()) for h in history]
        over = [w - t for w, t in zip(walls, slowest, strict=True)]
        return {
            "state": job.state,
            "round_wall_s": [round(w, 2) for w in walls],
            "slowest_train_s": [round(t, 3) for t in slowest],
            "overhead_s": [round(o, 2) for o in over],
            "overhead_s_per_round": round(sum(over) / len(over), 2) if over else None,
        }
    finally:
        flower.stop()
        reg.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="600,1000,2400")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--local-epochs", type=int, default=None, help="default: the app's")
    parser.add_argument("--real-rounds", type=int, default=3, help="rounds on real processes (0: skip)")
    parser.add_argument("--seeds", default="7", help="comma-separated cohort seeds; figures are their means")
    parser.add_argument("--hp", action="append", default=[], metavar="NAME=VALUE",
                        help="a hyperparameter for every arm, e.g. hidden=16 (repeatable)")  # fmt: skip
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    extra: dict[str, Any] = {} if args.local_epochs is None else {"hp-local-epochs": args.local_epochs}
    for item in args.hp:
        name, sep, value = item.partition("=")
        if not sep or not name:
            parser.error(f"--hp takes NAME=VALUE, not {item!r}")
        extra["hp-" + name.strip().replace("_", "-")] = (
            float(value) if "." in value or "e" in value else int(value)
        )
    import torch

    torch.set_num_threads(1)  # models this small gain nothing from threads; the figures are single-core
    import logging

    logging.getLogger("flwr").setLevel(logging.WARNING)  # Flower logs every round at INFO
    seeds = [int(s) for s in args.seeds.split(",")]
    runs: dict[str, list[dict[str, Any]]] = {uc: [] for uc in USE_CASES}
    real: dict[str, Any] | None = None
    for seed in seeds:
        with tempfile.TemporaryDirectory(prefix="fairgrid-bench-fed-") as tmp:
            for use_case in USE_CASES:
                runs[use_case].append(one_use_case(use_case, sizes, args.rounds, seed, Path(tmp), extra))
                print(
                    f"seed {seed} {use_case}: {json.dumps(runs[use_case][-1])}", file=sys.stderr, flush=True
                )
            if seed == seeds[0] and args.real_rounds > 0:
                homes = sorted((Path(tmp) / "mds" / "homes").iterdir())
                real = overhead(homes, args.real_rounds, Path(tmp) / "real", args.local_epochs)
                print(f"real processes: {json.dumps(real)}", file=sys.stderr, flush=True)
    summary = {uc: _mean(rs) for uc, rs in runs.items()}
    title = f"test AUC, pooled held-out set (sites {args.sizes}, {args.rounds} rounds, seeds {args.seeds})"
    table = Table(title=title + (f", {' '.join(args.hp)}" if args.hp else ""))
    for col in ("use case", "oracle lp", "oracle", "centralized", "site 1", "site 2", "site 3", "best single",
                "federated", "fed / central", "fed - best single", "patients"):  # fmt: skip
        table.add_column(col)
    for use_case, r in summary.items():
        ratio = r["federated"] / r["centralized"]
        gain = r["federated"] - r["best_single_site"]
        singles = [f"{v:.3f}" for v in r["single_sites"]]
        cells = [
            f"{r['oracle_lp']:.3f}",
            f"{r['oracle']:.3f}",
            f"{r['centralized']:.3f}",
            *singles,
            f"{r['best_single_site']:.3f}",
            f"{r['federated']:.3f}",
        ]
        table.add_row(use_case, *cells, f"{ratio:.3f}", f"{gain:+.3f}", "/".join(map(str, r["patients"])))
    Console(stderr=True, width=160).print(table)  # every column readable in a log file
    Console(stderr=True).print(
        {k: {kk: r[kk] for kk in ("per_seed", "test_patients")} for k, r in summary.items()}
    )
    line: dict[str, Any] = {
        uc: {k: r[k] for k in ("oracle_lp", "oracle", "centralized", "best_single_site", "federated")}
        for uc, r in summary.items()
    }
    line["overhead_s_per_round"] = None if real is None else real["overhead_s_per_round"]
    print(json.dumps(line))


if __name__ == "__main__":
    main()
