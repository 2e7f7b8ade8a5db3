"""The MLDCAT-AP 3.1.0 record of a model a training job produced, with the PROV of the run that made it.

What MLDCAT-AP requires of a mldcat:MachineLearningModel (identifier, title, version, created, trainedOn,
hasFile) and of each mldcat:File (identifier, title, format, url typed dcat:Resource) is given; the run is
a prov:Activity (`<model>#run`): started and ended, the rounds it finished, the approved run configuration
it used, the job and every approval it rested on (`<job>#<approval id>`), and the sites it was associated
with. The model is trained on, and derived from, the sites' dataset records (the ones hosted at each site
that took part, for the task's use case). Triples are built from terms, never from text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyoxigraph as ox

from registry.vocab import DCAT, DCT, FG, MLDCAT, RDF_TYPE, XSD

PROV = "http://www.w3.org/ns/prov#"
DQV = "http://www.w3.org/ns/dqv#"
LICENCE = "http://publications.europa.eu/resource/authority/licence/"
FILETYPE = "http://publications.europa.eu/resource/authority/file-type/"
USE_CASE_OF_TASK = {"mds-aml": "mds", "mm-relapse-18m": "mm"}
METRIC_TITLES = {
    "auc": "Area under the ROC curve on the sites' held-out rows (federated evaluation)",
    "num_examples": "Number of evaluation examples the sites reported (after their disclosure rules)",
    "c_index": "Concordance index on the sites' held-out rows (federated evaluation)",
}
TASK_TITLES = {
    "mds-aml": "transformation of myelodysplastic syndrome to AML within 2 years of diagnosis",
    "mm-relapse-18m": "multiple myeloma progression or relapse within 18 months",
}


@dataclass(frozen=True)
class TrainedModel:
    iri: str
    slug: str  # folder under <hub home>/models/ and the download path
    job: str
    job_title: str
    task: str
    run_id: str
    started: datetime
    ended: datetime
    rounds: int
    run_config: dict[str, Any]
    approvals: tuple[str, ...]  # approval ids the run rested on
    sites: tuple[str, ...]  # Site record IRIs that took part
    datasets: tuple[str, ...]  # dataset record IRIs at those sites
    metrics: dict[str, Any]  # final metrics (what the sites disclosed, aggregated)
    history: tuple[dict[str, Any], ...]  # per-round lines
    download_base: str  # IRI prefix the hub serves the files under (…/models/<slug>/)
    license: str = LICENCE + "CC_BY_4_0"


def _lit(value: str, datatype: str = XSD + "string") -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(datatype))


def _when(t: datetime) -> ox.Literal:
    return _lit(t.astimezone(UTC).isoformat(), XSD + "dateTime")


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def model_triples(m: TrainedModel) -> list[ox.Triple]:
    s, run = ox.NamedNode(m.iri), ox.NamedNode(m.iri + "#run")
    out: list[ox.Triple] = []

    def add(
        subject: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal
    ) -> None:
        out.append(ox.Triple(subject, ox.NamedNode(p), o))

    task = TASK_TITLES.get(m.task, m.task)
    final = ", ".join(f"{k} {v:.3f}" for k, v in sorted(m.metrics.items()) if isinstance(v, int | float))
    add(s, RDF_TYPE, ox.NamedNode(MLDCAT + "MachineLearningModel"))
    add(s, DCT + "identifier", ox.Literal(m.slug))
    add(s, DCT + "title", ox.Literal(f"Federated model: {m.job_title}", language="en"))
    add(s, DCT + "description", ox.Literal(
        f"Trained with Flower across {len(m.sites)} sites (run {m.run_id}, {m.rounds} rounds, "
        f"{m.run_config.get('strategy')}, privacy {m.run_config.get('privacy')}) to predict {task}. "
        f"Final metrics: {final or 'none reported'}. Patient data never left the sites.",
        language="en"))  # fmt: skip
    add(s, DCAT + "version", ox.Literal(m.run_id))
    add(s, DCT + "created", _when(m.ended))
    add(s, DCT + "issued", _when(m.ended))
    add(s, DCT + "license", ox.NamedNode(m.license))
    add(s, DCAT + "keyword", ox.Literal("federated learning", language="en"))
    add(s, DCAT + "keyword", ox.Literal(m.task, language="en"))
    for ds in m.datasets:
        add(s, MLDCAT + "trainedOn", ox.NamedNode(ds))
        add(s, PROV + "wasDerivedFrom", ox.NamedNode(ds))
    add(s, PROV + "wasGeneratedBy", run)
    add(s, FG + "trainingMetrics", _lit(_json({"final": m.metrics, "rounds": list(m.history)})))
    for name, value in sorted(m.metrics.items()):
        if isinstance(value, int | float) and not isinstance(value, bool):
            # MLDCAT-AP: a measurement's dct:type is a mldcat:DataQuality; the metric is named in the record
            q, kind = ox.BlankNode(f"metric-{name}"), ox.NamedNode(f"{m.iri}#metric-{name}")
            add(s, DQV + "hasQualityMeasurement", q)
            add(q, RDF_TYPE, ox.NamedNode(DQV + "QualityMeasurement"))
            add(q, DCT + "type", kind)
            add(q, DQV + "value", _lit(repr(float(value)), XSD + "double"))
            add(kind, RDF_TYPE, ox.NamedNode(MLDCAT + "DataQuality"))
            add(kind, DCT + "identifier", ox.Literal(name))
            add(kind, DCT + "title", ox.Literal(METRIC_TITLES.get(name, name), language="en"))
    for name, title, fmt in (
        ("model.safetensors", "Final model weights (safetensors)", "BIN"),
        ("metrics.json", "Per-round and final metrics (JSON)", "JSON"),
        ("model-card.md", "Model card (Markdown)", "MARKDOWN"),
    ):
        f = ox.NamedNode(f"{m.iri}#file-{name.rsplit('.', 1)[0]}")
        url = ox.NamedNode(m.download_base + name)
        add(s, MLDCAT + "hasFile", f)
        add(f, RDF_TYPE, ox.NamedNode(MLDCAT + "File"))
        add(f, DCT + "identifier", ox.Literal(name))
        add(f, DCT + "title", ox.Literal(title, language="en"))
        add(f, DCT + "format", ox.NamedNode(FILETYPE + fmt))
        add(f, MLDCAT + "url", url)
        add(url, RDF_TYPE, ox.NamedNode(DCAT + "Resource"))
    # the run that generated it
    add(run, RDF_TYPE, ox.NamedNode(PROV + "Activity"))
    add(run, DCT + "title", ox.Literal(f"Flower run {m.run_id} of {m.job_title}", language="en"))
    add(run, PROV + "startedAtTime", _when(m.started))
    add(run, PROV + "endedAtTime", _when(m.ended))
    add(run, FG + "trainingJob", ox.NamedNode(m.job))
    add(run, PROV + "used", ox.NamedNode(m.job))
    for approval in m.approvals:
        add(run, PROV + "used", ox.NamedNode(f"{m.job}#{approval}"))
    for site in m.sites:
        add(run, PROV + "wasAssociatedWith", ox.NamedNode(site))
    add(run, FG + "roundsCompleted", _lit(str(m.rounds), XSD + "nonNegativeInteger"))
    add(run, FG + "runConfiguration", _lit(_json(m.run_config)))
    return out


def datasets_for(records: Sequence[Any], site_iris: Sequence[str], task: str) -> list[str]:
    """IRIs of dataset records hosted at `site_iris` (fg:hostedAt), for the task's use case when known."""
    use_case = USE_CASE_OF_TASK.get(task)
    wanted = set(site_iris)
    out = []
    for rec in records:
        hosted = {v.value for v in rec.values(FG + "hostedAt")}
        if not hosted & wanted:
            continue
        ident = rec.value(DCT + "identifier") or ""
        if use_case is None or ident.endswith("-" + use_case):
            out.append(rec.iri)
    return sorted(out)
