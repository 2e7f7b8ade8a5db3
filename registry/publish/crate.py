"""ro-crate-metadata.json for a publication package.

A model's crate follows the Provenance Run Crate profile 0.5 (https://w3id.org/ro/wfrun/provenance/0.5,
which extends the Workflow Run and Process Run Crate profiles 0.5 on RO-Crate 1.1; profile 0.6 moves to
RO-Crate 1.3): the federated run is the CreateAction whose instrument is the Flower app; each site's local
training in each round and each round's aggregation are CreateActions of the app's two tools (ClientApp,
ServerApp), each orchestrated by a ControlAction pointing at its HowToStep; the Flower SuperLink's own run is
the OrganizeAction. Hyperparameters are PropertyValues of FormalParameters, sites are Organizations, the
weights are the run's File result.

The Flower app bundle (FAB) itself is not in the package: the workflow is a contextual entity named by the
FAB's sha256 (what the sites approved), not a File, which is the one place this crate departs from Workflow
RO-Crate's "mainEntity is a File".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from registry.publish.training import TrainingRun

RO_CRATE = "https://w3id.org/ro/crate/1.1"
CONTEXT = "https://w3id.org/ro/crate/1.1/context"
PROFILES = {
    "https://w3id.org/ro/wfrun/process/0.5": ("Process Run Crate", "0.5"),
    "https://w3id.org/ro/wfrun/workflow/0.5": ("Workflow Run Crate", "0.5"),
    "https://w3id.org/ro/wfrun/provenance/0.5": ("Provenance Run Crate", "0.5"),
    "https://w3id.org/workflowhub/workflow-ro-crate/1.0": ("Workflow RO-Crate", "1.0"),
}
MEDIA_TYPES = {
    ".safetensors": "application/octet-stream",
    ".json": "application/json",
    ".md": "text/markdown",
    ".ttl": "text/turtle",
    ".jsonld": "application/ld+json",
}


@dataclass(frozen=True)
class CrateFile:
    name: str
    size: int
    sha256: str
    description: str = ""


@dataclass(frozen=True)
class About:
    """What the package describes: the registry record and its plain facts."""

    iri: str
    title: str
    description: str
    licence: str | None  # an IRI
    version: str
    date_published: str
    kind: str  # the record's Kind value


def _ref(i: str) -> dict[str, str]:
    return {"@id": i}


def _refs(ids: Sequence[str]) -> list[dict[str, str]]:
    return [_ref(i) for i in ids]


def _token(value: str) -> str:
    """A fragment-safe token for local ids (site ids, hyperparameter names)."""
    return re.sub(r"[^A-Za-z0-9._-]", "-", value)[:100] or "x"


def _file_entity(f: CrateFile, about: str) -> dict[str, Any]:
    ext = "." + f.name.rsplit(".", 1)[-1] if "." in f.name else ""
    out: dict[str, Any] = {
        "@id": f.name,
        "@type": "File",
        "name": f.name,
        "contentSize": str(f.size),
        "encodingFormat": MEDIA_TYPES.get(ext, "application/octet-stream"),
        "sha256": f.sha256,
        "about": _ref(about),
    }
    if f.description:
        out["description"] = f.description
    return out


def _root(about: About, files: Sequence[CrateFile], **extra: Any) -> list[dict[str, Any]]:
    root: dict[str, Any] = {
        "@id": "./",
        "@type": "Dataset",
        "name": about.title,
        "description": about.description,
        "datePublished": about.date_published,
        "version": about.version,
        "identifier": about.iri,
        "about": _ref(about.iri),
        "hasPart": _refs([f.name for f in files]),
        **extra,
    }
    if about.licence:
        root["license"] = _ref(about.licence)
    out = [
        {
            "@id": "ro-crate-metadata.json",
            "@type": "CreativeWork",
            "about": _ref("./"),
            "conformsTo": _ref(RO_CRATE),
        },
        root,
        {
            "@id": about.iri,
            "@type": "Thing",
            "name": about.title,
            "url": about.iri,
            "additionalType": about.kind,
        },
    ]
    if about.licence:
        out.append({"@id": about.licence, "@type": "CreativeWork", "name": about.licence})
    return out + [_file_entity(f, about.iri) for f in files]


def record_crate(about: About, files: Sequence[CrateFile]) -> dict[str, Any]:
    """A plain RO-Crate 1.1 for a dataset description or terminology release: its RDF files."""
    return {"@context": CONTEXT, "@graph": _root(about, files)}


def _value_type(v: float | int | str) -> str:
    if isinstance(v, bool | str):
        return "Text"
    return "Integer" if isinstance(v, int) else "Float"


def run_crate(
    about: About,
    files: Sequence[CrateFile],
    run: TrainingRun,
    *,
    weights: str,
    fab_hash: str | None = None,
    site_names: Mapping[str, str] | None = None,
    datasets: Sequence[str] = (),
    agent: str | None = None,
) -> dict[str, Any]:
    """A Provenance Run Crate of the federated run that produced the model (see the module docstring)."""
    names = dict(site_names or {})
    wf, server, client = "#flower-app", "#server-app", "#client-app"
    hp_params = {k: f"#param-{_token(k)}" for k in run.hyperparameters}
    settings: dict[str, float | int | str] = {**run.hyperparameters}
    for k, v in (("strategy", run.strategy), ("privacy", run.privacy), ("epsilon", run.epsilon)):
        if v is not None and k not in settings:
            settings[k] = v
            hp_params[k] = f"#param-{_token(k)}"
    graph = _root(
        about,
        files,
        conformsTo=_refs(list(PROFILES)),
        mainEntity=_ref(wf),
        mentions=[_ref("#run")],
    )
    graph += [{"@id": p, "@type": "CreativeWork", "name": n, "version": v} for p, (n, v) in PROFILES.items()]
    workflow: dict[str, Any] = {
        "@id": wf,
        "@type": ["SoftwareSourceCode", "ComputationalWorkflow", "HowTo"],
        "name": "fairgrid federated training app (Flower app bundle)",
        "programmingLanguage": {"@id": "#python"},
        "hasPart": _refs([client, server]),
        "step": _refs(["#step-local-training", "#step-aggregation"]),
        "input": _refs(list(hp_params.values())),
        "output": _refs(["#param-model"]),
    }
    if fab_hash:
        workflow["identifier"] = f"sha256:{fab_hash}"
    graph += [
        workflow,
        {
            "@id": "#python",
            "@type": "ComputerLanguage",
            "name": "Python",
            "url": _ref("https://www.python.org/"),
        },
        {"@id": client, "@type": "SoftwareApplication", "name": "Flower ClientApp: local training at a site"},
        {
            "@id": server,
            "@type": "SoftwareApplication",
            "name": f"Flower ServerApp: aggregation ({run.strategy or 'strategy not recorded'})",
        },
        {"@id": "#step-local-training", "@type": "HowToStep", "position": "0", "workExample": _ref(client)},
        {"@id": "#step-aggregation", "@type": "HowToStep", "position": "1", "workExample": _ref(server)},
        {"@id": "#param-model", "@type": "FormalParameter", "additionalType": "File", "name": "model"},
        {
            "@id": "#flower",
            "@type": "SoftwareApplication",
            "name": "Flower SuperLink",
            "url": _ref("https://flower.ai/"),
        },
    ]
    for k, v in settings.items():
        graph.append(
            {"@id": hp_params[k], "@type": "FormalParameter", "name": k, "additionalType": _value_type(v)}
        )
        graph.append(
            {
                "@id": f"#pv-{_token(k)}",
                "@type": "PropertyValue",
                "name": k,
                "value": str(v),
                "exampleOfWork": _ref(hp_params[k]),
            }
        )
    site_ids = list(dict.fromkeys([*run.sites, *(s for r in run.rounds for s in r.sites)]))
    for s in site_ids:
        graph.append(
            {"@id": f"#site-{_token(s)}", "@type": "Organization", "name": names.get(s, s), "identifier": s}
        )
    for d in datasets:
        graph.append({"@id": d, "@type": "Dataset", "url": d})
    for entity in graph:
        if entity["@id"] == weights:
            entity["exampleOfWork"] = _ref("#param-model")
    controls: list[str] = []
    previous = None
    for r in run.rounds:
        model_id = f"#round-{r.number}-model"
        updates: list[str] = []
        for s, values in r.sites.items():
            act, upd = f"#round-{r.number}-{_token(s)}", f"#round-{r.number}-{_token(s)}-update"
            updates.append(upd)
            action: dict[str, Any] = {
                "@id": act,
                "@type": "CreateAction",
                "name": f"Local training at {names.get(s, s)}, round {r.number}",
                "instrument": _ref(client),
                "agent": _ref(f"#site-{_token(s)}"),
                "result": _ref(upd),
            }
            if previous:
                action["object"] = _ref(previous)
            graph.append(action)
            graph.append(
                {
                    "@id": upd,
                    "@type": "CreativeWork",
                    "name": f"Model update from {s}, round {r.number}",
                    "additionalProperty": [
                        {"@type": "PropertyValue", "name": k, "value": str(v)} for k, v in values.items()
                    ],
                }
            )
            graph.append(
                {
                    "@id": f"{act}-control",
                    "@type": "ControlAction",
                    "instrument": _ref("#step-local-training"),
                    "object": _ref(act),
                    "name": f"orchestrate local training at {s}",
                }
            )
            controls.append(f"{act}-control")
        agg: dict[str, Any] = {
            "@id": f"#round-{r.number}",
            "@type": "CreateAction",
            "name": f"Aggregation, round {r.number}",
            "instrument": _ref(server),
            "object": _refs(updates),
            "result": _ref(model_id),
        }
        for key, val in (("startTime", r.started), ("endTime", r.ended)):
            if val:
                agg[key] = val
        graph.append(agg)
        metrics = [{"@type": "PropertyValue", "name": k, "value": str(v)} for k, v in r.metrics.items()]
        if r.train_loss is not None:
            metrics.append({"@type": "PropertyValue", "name": "train_loss", "value": str(r.train_loss)})
        graph.append(
            {
                "@id": model_id,
                "@type": "CreativeWork",
                "name": f"Global model after round {r.number}",
                "additionalProperty": metrics,
            }
        )
        graph.append(
            {
                "@id": f"#round-{r.number}-control",
                "@type": "ControlAction",
                "instrument": _ref("#step-aggregation"),
                "object": _ref(f"#round-{r.number}"),
                "name": f"orchestrate aggregation, round {r.number}",
            }
        )
        controls.append(f"#round-{r.number}-control")
        previous = model_id
    main: dict[str, Any] = {
        "@id": "#run",
        "@type": "CreateAction",
        "name": f"Federated training run of {about.title}",
        "instrument": _ref(wf),
        "object": _refs([f"#pv-{_token(k)}" for k in settings] + list(datasets)),
        "result": _refs([f.name for f in files if f.name != "ro-crate-metadata.json"]),
        "participant": _refs([f"#site-{_token(s)}" for s in site_ids]),
    }
    if agent:
        main["agent"] = _ref(agent)
        graph.append({"@id": agent, "@type": "Organization" if "orcid.org" not in agent else "Person"})
    for key, val in (("startTime", run.started), ("endTime", run.ended)):
        if val:
            main[key] = val
    graph.append(main)
    organize: dict[str, Any] = {
        "@id": "#superlink-run",
        "@type": "OrganizeAction",
        "name": "Run of the Flower SuperLink",
        "instrument": _ref("#flower"),
        "result": _ref("#run"),
        "object": _refs(controls),
    }
    if run.started:
        organize["startTime"] = run.started
    graph.append(organize)
    return {"@context": CONTEXT, "@graph": graph}
