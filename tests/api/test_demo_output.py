"""`make demo` prints what it registered as it is: its console reads no Rich markup in the data."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
import pytest
from rich.console import Console

from api import demo, demo_training
from api.cli.output import data_console
from api.demo_publish import publish_step
from federation.jobs.record import JobSpec, JobView
from registry.config import Settings
from registry.identity import local_operator
from registry.wiring import open_registry
from tests.registry.publish.trained_model import MODEL_TTL, Template, open_trained, trained_template

__all__ = ["trained_template"]


def test_a_rejected_file_is_named_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(demo.console, "width", 300)
    bad = tmp_path / "cohort [sickle cell] [red]x.ttl"
    bad.write_text("<a> <b> .\n")  # not Turtle: rejected, and named in the line printed
    reg = open_registry(Settings(home=tmp_path / "home"))
    try:
        demo.register(reg, "site dataset descriptions", [bad])
    finally:
        reg.close()
    shown = capsys.readouterr().out
    assert "1 rejected" in shown and bad.name in shown, shown
    assert "[/]" not in shown  # "rejected" is styled, not printed as markup


# Registered text as the tests below register it: markup, a hyperlink tag, an emoji code
MARKUP_TITLE = "Anemia [sickle cell] cohort [link=https://x]y[/link] :warning:"
EMOJI_IRI = "https://w3id.org/fairgrid/model/mds:warning:"  # a valid IRI: ':' is allowed in a path


def test_publish_step_prints_registered_text_as_it_is_on_any_console(
    trained_template: Template, tmp_path: Path
) -> None:
    # the caller's Console is used as given: on a plain Console() (markup and emoji on) the record's IRI
    # lost its ':warning:' to an emoji in the landing page line
    reg = open_trained(trained_template, tmp_path)
    me = local_operator("test")
    ttl = (
        MODEL_TTL.replace("model/test-fed-mds>", "model/mds:warning:>")
        .replace("model/test-fed-mds/file", "model/mds:warning:/file")
        .replace('"test-fed-mds"', '"mds-warning"')
        .replace("Federated MDS-to-AML model [test](javascript:alert(1))", MARKUP_TITLE)
    )
    text = io.StringIO()
    try:
        reg.records.create(me, ttl.encode(), ox.RdfFormat.TURTLE, source="test")
        publish_step(reg, Console(file=text, width=300), 8080, EMOJI_IRI)
    finally:
        reg.close()
    shown = text.getvalue()
    assert f"published {EMOJI_IRI}\n" in shown, shown
    assert "landing page with the DOI: http://127.0.0.1:8080/model/mds:warning:\n" in shown, shown
    assert "⚠" not in shown


def test_the_training_table_prints_what_the_run_reported_as_it_is_on_any_console() -> None:
    # the round table's title and cells were strings, read as markup by a plain Console: a site name a
    # run reported with '[sickle cell]' lost it, '[link=..]' became a terminal hyperlink
    site = f"site {MARKUP_TITLE}"
    run = {"round": 1, "rounds": 2, "history": [
        {"round": 1, "started": 0.0, "ended": 1.0, "metrics": {"auc": 0.5}, "sites": {site: {"train_s": 1}}},
    ]}  # fmt: skip
    spec = JobSpec(title=MARKUP_TITLE, model=EMOJI_IRI, fab_hash="0" * 64, criteria={}, sites=(site,), rounds=2,
                   strategy="FedAvg", purpose=MARKUP_TITLE, expires=datetime.now(UTC))  # fmt: skip
    job = JobView(EMOJI_IRI, spec, "{}", (), "r", f"state {MARKUP_TITLE}", (), (), None, 1, run)
    shown = []
    for console in (
        Console(file=io.StringIO(), width=400, record=True),
        data_console(width=400, record=True),
    ):
        console.print(demo_training._table(job))
        shown.append(console.export_text())
    assert shown[0] == shown[1] and f"state {MARKUP_TITLE}" in shown[0] and f"{site}: trained" in shown[0], (
        shown
    )
