"""A training job as a registry record: the triples a job spec becomes, and the view read back from one.

Triples are built from pyoxigraph terms (never text pasted from values); the run configuration that
approvals bind is derived here, in one place, from the record's own fields.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pyoxigraph as ox

from federation.criteria import parse_criteria
from federation.jobs.approvals import ApprovalError, check_fab_hash
from registry import json_text
from registry.errors import InputError
from registry.model import Record
from registry.vocab import DCT, FG, METADATA_VISIBILITY, RDF_TYPE, VISIBILITY_CONSORTIUM, XSD, Kind

STRATEGIES = ("FedAvg", "FedProx")
PRIVACY_MODES = ("none", "central", "local")
STATES = ("submitted", "approved", "rejected")
RUN_STATES = ("running", "completed", "failed")  # set by dispatch (federation/jobs/dispatch.py)
MAX_ROUNDS = 1000


@dataclass(frozen=True)
class JobSpec:
    title: str
    model: str  # IRI of an MLDCAT-AP model record
    fab_hash: str
    criteria: Any  # the feasibility criteria document (JSON text or parsed)
    sites: tuple[str, ...]  # site ids
    rounds: int
    strategy: str
    purpose: str
    expires: datetime
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    privacy: str = "none"
    epsilon: float | None = None
    gpu: bool = False


def check_spec(spec: JobSpec, now: datetime) -> str:
    """The canonical criteria JSON if the spec is a valid job request; an InputError naming the field."""
    check_fab_hash(spec.fab_hash)
    if not spec.title.strip() or not spec.purpose.strip():
        raise InputError("a training job needs a title and a purpose")
    if not spec.sites:
        raise InputError("a training job needs at least one target site")
    if (
        isinstance(spec.rounds, bool)
        or not isinstance(spec.rounds, int)
        or not 1 <= spec.rounds <= MAX_ROUNDS
    ):
        raise InputError(f"rounds must be a whole number from 1 to {MAX_ROUNDS}")
    if spec.strategy not in STRATEGIES:
        raise InputError(f"strategy {spec.strategy[:40]!r} is not one of {', '.join(STRATEGIES)}")
    if spec.privacy not in PRIVACY_MODES:
        raise InputError(f"privacy {spec.privacy[:40]!r} is not one of {', '.join(PRIVACY_MODES)}")
    if spec.privacy == "none" and spec.epsilon is not None:
        raise InputError("epsilon is given but differential privacy is off (privacy 'none')")
    if spec.privacy != "none" and (
        spec.epsilon is None or not math.isfinite(spec.epsilon) or not 0 < spec.epsilon <= 100
    ):
        raise InputError("central or local differential privacy needs an epsilon above 0 (at most 100)")
    if spec.expires.tzinfo is None:
        raise InputError("the expiry must carry a time zone (e.g. 2027-01-31T00:00:00Z)")
    if spec.expires <= now:
        raise InputError(f"the expiry {spec.expires.isoformat()} is not in the future")
    if not isinstance(spec.hyperparameters, dict):
        raise InputError("hyperparameters must be a JSON object")
    _check_numbers(spec.hyperparameters)
    return parse_criteria(spec.criteria).canonical()


def _check_numbers(value: Any) -> None:
    """Every number in the hyperparameters is finite. GraphQL reads the literal 1e999 as infinity,
    which was stored and then written back as `Infinity`: not JSON, so clients could not read the job."""
    for item in json_text.scalars(value):
        if isinstance(item, float) and not math.isfinite(item):
            raise InputError(
                f"hyperparameters hold {item}, which is not a JSON number", hint="give finite numbers"
            )


def _lit(value: str, datatype: str = XSD + "string") -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(datatype))


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def job_triples(
    iri: str, spec: JobSpec, criteria: str, site_iris: list[str], requester: str, state: str,
    documents: tuple[tuple[str, str], ...] = (), trained_model: str | None = None,
) -> list[ox.Triple]:  # fmt: skip
    """The record's triples; `documents` are (predicate local name, JSON text) of approvals and the like."""
    s = ox.NamedNode(iri)
    pairs: list[tuple[str, ox.NamedNode | ox.Literal]] = [
        (RDF_TYPE, ox.NamedNode(Kind.TRAINING_JOB.type_iri)),
        (DCT + "title", ox.Literal(spec.title)),
        (FG + "model", ox.NamedNode(spec.model)),
        (FG + "fabHash", _lit(spec.fab_hash)),
        (FG + "cohortCriteria", _lit(criteria)),
        *((FG + "targetSite", ox.NamedNode(site)) for site in site_iris),
        (FG + "rounds", _lit(str(spec.rounds), XSD + "positiveInteger")),
        (FG + "strategy", ox.Literal(spec.strategy)),
        (FG + "hyperparameters", _lit(_canonical(spec.hyperparameters))),
        (FG + "privacyMode", ox.Literal(spec.privacy)),
        (FG + "gpuRequired", _lit("true" if spec.gpu else "false", XSD + "boolean")),
        (FG + "purpose", ox.Literal(spec.purpose)),
        (FG + "requester", ox.NamedNode(requester)),
        (FG + "expires", _lit(spec.expires.astimezone(UTC).isoformat(), XSD + "dateTime")),
        (FG + "jobState", ox.Literal(state)),
        # who trains what, where and why is the consortium's business, not the public's
        (METADATA_VISIBILITY, ox.NamedNode(VISIBILITY_CONSORTIUM)),
        *((FG + name, _lit(text)) for name, text in documents),
        *(((FG + "trainedModel", ox.NamedNode(trained_model)),) if trained_model else ()),
    ]
    if spec.epsilon is not None:
        pairs.append((FG + "epsilon", _lit(format(Decimal(repr(float(spec.epsilon))), "f"), XSD + "decimal")))
    return [ox.Triple(s, ox.NamedNode(p), o) for p, o in pairs]


@dataclass(frozen=True)
class JobView:
    iri: str
    spec: JobSpec
    criteria: str
    site_iris: tuple[str, ...]
    requester: str
    state: str
    approvals: tuple[dict[str, Any], ...]  # signed documents as stored
    revocations: tuple[dict[str, Any], ...]
    rejection: str | None
    revision: int
    run: dict[str, Any] | None = None  # the dispatched run: id, sites, round, disclosed metrics, model

    @property
    def run_config(self) -> dict[str, Any]:
        return run_config(self.spec)

    @property
    def trained_model(self) -> str | None:
        model = (self.run or {}).get("model")
        return model if isinstance(model, str) else None

    def documents(self) -> tuple[tuple[str, str], ...]:
        return (
            *(("approvalDocument", _canonical(d)) for d in self.approvals),
            *(("revocationDocument", _canonical(d)) for d in self.revocations),
            *((("rejectionNote", self.rejection),) if self.rejection else ()),
            *((("runDocument", _canonical(self.run)),) if self.run is not None else ()),
        )


def run_config(spec: JobSpec) -> dict[str, Any]:
    """What approvals bind and the gate compares: the settings a run may not exceed or change.

    The cohort is among them: an approval of an app for one cohort must not let the same app train on
    another (the gate compares it for equality, as signed; not only through the unsigned hub sync).
    """
    out: dict[str, Any] = {
        "cohort": parse_criteria(spec.criteria).canonical(),
        "strategy": spec.strategy,
        "rounds": spec.rounds,
        "privacy": spec.privacy,
        "gpu": spec.gpu,
        "hyperparameters": spec.hyperparameters,
    }
    if spec.epsilon is not None:
        out["epsilon"] = spec.epsilon
    return out


def _docs(rec: Record, name: str) -> tuple[dict[str, Any], ...]:
    out = []
    for v in rec.values(FG + name):
        try:
            doc = json.loads(v.value)
        except ValueError as exc:
            raise ApprovalError(f"{rec.iri}: a stored {name} is not JSON") from exc
        out.append(doc)
    return tuple(out)


def job_view(rec: Record, site_ids: dict[str, str]) -> JobView:
    """The job a stored record describes; `site_ids` maps Site IRIs to site ids."""
    if rec.kind is not Kind.TRAINING_JOB:
        raise InputError(f"{rec.iri} is a {rec.kind.value} record, not a training job")

    def one(name: str) -> str:
        value = rec.value(FG + name)
        if value is None:
            raise InputError(f"{rec.iri} has no fg:{name}")
        return value

    site_iris = tuple(sorted(v.value for v in rec.values(FG + "targetSite")))
    epsilon = rec.value(FG + "epsilon")
    spec = JobSpec(
        title=rec.value(DCT + "title") or "",
        model=one("model"),
        fab_hash=one("fabHash"),
        criteria=one("cohortCriteria"),
        sites=tuple(sorted(site_ids.get(i, i) for i in site_iris)),
        rounds=int(one("rounds")),
        strategy=one("strategy"),
        purpose=one("purpose"),
        expires=datetime.fromisoformat(one("expires")),
        hyperparameters=json.loads(rec.value(FG + "hyperparameters") or "{}"),
        privacy=one("privacyMode"),
        epsilon=float(epsilon) if epsilon is not None else None,
        gpu=one("gpuRequired") == "true",
    )
    assert rec.revision is not None
    runs = _docs(rec, "runDocument")
    return JobView(
        iri=rec.iri, spec=spec, criteria=spec.criteria, site_iris=site_iris, requester=one("requester"),
        state=one("jobState"), approvals=_docs(rec, "approvalDocument"),
        revocations=_docs(rec, "revocationDocument"), rejection=rec.value(FG + "rejectionNote"),
        revision=rec.revision.number, run=runs[0] if runs else None,
    )  # fmt: skip


def job_json(job: JobView) -> dict[str, Any]:
    """The job as plain JSON (CLI --json, GraphQL): settings, state and the documents a site needs."""
    return {
        "iri": job.iri,
        "title": job.spec.title,
        "state": job.state,
        "model": job.spec.model,
        "fab_hash": job.spec.fab_hash,
        "cohort_criteria": json.loads(job.criteria),
        "sites": list(job.spec.sites),
        "run_config": job.run_config,
        "purpose": job.spec.purpose,
        "requester": job.requester,
        "expires": job.spec.expires.isoformat(),
        "approvals": list(job.approvals),
        "revocations": list(job.revocations),
        "rejection": job.rejection,
        "revision": job.revision,
        "run": job.run,
    }
