"""The catalogue's metadata-quality distribution: how many records fall in each MQA rating band and the
average points per dimension, over the latest published revisions the caller may read."""

from __future__ import annotations

from dataclasses import dataclass, field

from registry.identity import Identity
from registry.model import Record
from registry.services.quality import BANDS, DIMENSIONS, MAX_TOTAL, QualityScore, assess
from registry.services.visibility import readable
from registry.store.port import RecordStore
from registry.vocab import Kind

_BATCH = 200


@dataclass(frozen=True)
class DimensionAverage:
    name: str
    average: float
    max_assessed: int
    max: int


@dataclass(frozen=True)
class QualityDistribution:
    kind: str | None
    scored: int = 0
    unscored: int = 0  # revisions stored before scores existed (a new revision gets one)
    bands: dict[str, int] = field(default_factory=dict)
    average_total: float = 0.0
    max_assessed: int = 0
    max_total: int = MAX_TOTAL
    dimensions: list[DimensionAverage] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind, "scored": self.scored, "unscored": self.unscored, "bands": self.bands,
            "average_total": self.average_total, "max_assessed": self.max_assessed,
            "max_total": self.max_total,
            "dimensions": [vars(d) for d in self.dimensions],
        }  # fmt: skip


def distribution(
    identity: Identity, store: RecordStore, kind: Kind | None = Kind.DATASET
) -> QualityDistribution:
    """Published, not deprecated records of `kind` (None: every kind) that `identity` may read."""
    scores: list[QualityScore] = []
    unscored = 0
    batch: list[Record] = []
    for rec in store.iter_latest(kind, batch=_BATCH):
        if rec.revision is None or not rec.revision.published or rec.revision.deprecated:
            continue
        batch.append(rec)
        if len(batch) == _BATCH:
            unscored += _take(identity, store, batch, scores)
            batch = []
    unscored += _take(identity, store, batch, scores)
    bands = {name: 0 for name, _floor in BANDS}
    for s in scores:
        bands[s.rating] += 1
    n = len(scores)
    maxima = assess("urn:fairgrid:nothing", ())  # the maxima do not depend on the record
    dims = [
        DimensionAverage(
            name,
            round(sum(s.dimension(name).points for s in scores) / n, 2) if n else 0.0,
            maxima.dimension(name).max_assessed,
            maxima.dimension(name).max,
        )
        for name in DIMENSIONS
    ]
    return QualityDistribution(
        kind=kind.value if kind is not None else None,
        scored=n,
        unscored=unscored,
        bands=bands,
        average_total=round(sum(s.total for s in scores) / n, 2) if n else 0.0,
        max_assessed=maxima.max_assessed,
        dimensions=dims,
    )


def _take(identity: Identity, store: RecordStore, batch: list[Record], scores: list[QualityScore]) -> int:
    if not batch:
        return 0
    allowed = readable(store, identity, batch)
    unscored = 0
    for rec in batch:
        if not allowed.get(rec.iri):
            continue
        if rec.revision is not None and rec.revision.quality:
            scores.append(QualityScore.from_json(rec.revision.quality))
        else:
            unscored += 1
    return unscored
