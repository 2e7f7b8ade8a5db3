"""The landing page shows the revision's metadata-quality score: five dimensions and the total."""

from __future__ import annotations

import re
from dataclasses import replace

from api.landing import Page, render
from registry.services.quality import assess
from tests.api.pages.test_templates import _distribution, _hostile_record


def test_landing_page_shows_five_dimensions_and_the_total_with_what_was_assessed() -> None:
    rec, dist = _hostile_record(), _distribution()
    assert rec.revision is not None
    score = assess(rec.iri, rec.triples, dist.triples)
    rec = replace(rec, revision=replace(rec.revision, quality=score.to_json()))
    html = render(Page(rec, [rec.revision], {}, rec.iri, {dist.iri: dist}, 1))  # type: ignore[list-item]
    rows = re.findall(r"<tr><td>(\w+)</td><td>([\d.]+)</td><td>(\d+)</td><td>(\d+)</td></tr>", html)
    assert [r[0] for r in rows] == [
        "findability",
        "accessibility",
        "interoperability",
        "reusability",
        "contextuality",
    ]
    assert [int(r[3]) for r in rows] == [100, 100, 110, 75, 20]
    assert rows[1] == ("accessibility", "20.0", "20", "100")  # its download URL; reachability not assessed
    assert f"<tr><th>Total</th><th>{score.total}</th><th>325</th><th>405</th></tr>" in html
    assert f"<strong>{score.rating}</strong>" in html


def test_a_revision_without_a_score_shows_no_quality_section() -> None:
    rec, dist = _hostile_record(), _distribution()
    html = render(Page(rec, [rec.revision], {}, rec.iri, {dist.iri: dist}, 1))  # type: ignore[list-item]
    assert "Metadata quality" not in html
