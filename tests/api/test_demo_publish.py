"""The demo's publishing step: `fairgrid dev-zenodo` as a subprocess, the model published, the DOI printed."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from api.demo_publish import publish_step
from api.federation import hub_audit
from registry.identity import local_operator
from registry.publish.writeback import zenodo_links
from tests.registry.publish.trained_model import MODEL_IRI, Template, open_trained, trained_template

__all__ = ["trained_template"]


def test_publish_step_publishes_the_model_to_a_local_zenodo(
    trained_template: Template, tmp_path: Path
) -> None:
    reg = open_trained(trained_template, tmp_path)
    text = io.StringIO()
    try:
        zen = publish_step(reg, Console(file=text, width=300), 8080, MODEL_IRI, keep=True)
        links = zenodo_links(reg.records.get(local_operator(), MODEL_IRI))
        audited = [(e["source"], e["query"], e["detail"]["doi"]) for e in hub_audit(reg).entries()]
    finally:
        reg.close()
    try:
        assert zen is not None and zen.process.poll() is None
        shown = text.getvalue()
        assert "LOCAL STAND-IN" in shown and "https://doi.org/10.5072/" in shown
        assert "landing page with the DOI: http://127.0.0.1:8080/model/test-fed-mds" in shown
        assert zen.token not in shown
        assert "in the hub's audit log (fairgrid audit): published by demo-consortium-member" in shown
    finally:
        if zen is not None:
            zen.stop()
    assert zen.process.poll() is not None
    assert links is not None and links.doi is not None and links.doi in shown
    assert audited == [("published", MODEL_IRI, links.doi)]  # in the hub's audit log, as every publication
