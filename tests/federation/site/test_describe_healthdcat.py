"""Site descriptions are complete HealthDCAT-AP Release 5 records: zero violations, release shapes applied."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from federation.site.describe import describe_site, to_turtle
from federation.site.home import SiteHome
from federation.site.store import SiteStore
from registry.config import Settings
from registry.io.split import split
from registry.validation.graph import Graph
from registry.validation.health import DATASET_SHAPE, health_targets
from registry.validation.reference import PyshaclValidator
from registry.validation.validator import CompiledValidator

SETTINGS = Settings(base_iri="https://example.org/fg/")


def test_site_description_conforms_to_the_release(
    store: SiteStore, home: SiteHome, cohorts: dict[str, Path]
) -> None:
    for uc in ("mds", "scd", "mm"):
        store.load([cohorts[uc] / "site-1" / "fhir"])
    turtle = to_turtle(describe_site(home, store, SETTINGS))
    triples = [q.triple for q in ox.parse(turtle, format=ox.RdfFormat.TURTLE)]
    drafts = split(triples, base_iri=SETTINGS.base_iri, allowed=(SETTINGS.base_iri,), source="site").drafts
    by_iri = {d.iri: d for d in drafts}
    fast, reference = CompiledValidator(), PyshaclValidator()
    datasets = 0
    for d in drafts:
        ctx = [t for t in triples if t.subject.value in by_iri and t.subject.value != d.iri]
        ctx += [t for t in triples if isinstance(t.subject, ox.BlankNode) and t not in d.triples]
        own = list(dict.fromkeys(t.subject for t in d.triples if not isinstance(t.subject, ox.Triple)))
        applied = health_targets(fast.health, Graph([*d.triples, *ctx], base=fast.background), own)
        datasets += sum(1 for shape, _ in applied if shape == DATASET_SHAPE)
        report = fast.validate(d.triples, ctx, d.kind)
        assert report.violations == [], [v.message for v in report.violations]
        assert reference.validate(d.triples, ctx, d.kind).violations == []
    assert datasets == 3  # one NON_PUBLIC dataset per use case, each under the release's own profile
