"""Validation warnings in the CLI: `fairgrid show` (on stderr, so stdout stays RDF) and `history`."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from api.cli.main import app
from tests.api.cli.conftest import run, runner
from tests.registry.services.test_records import dataset

pytestmark = pytest.mark.usefixtures("home")
DS = "https://w3id.org/fairgrid/dataset/cli-warned"


def test_show_and_history_list_the_warnings(tmp_path: Path) -> None:
    doc = tmp_path / "warned.ttl"
    doc.write_text(dataset(name="cli-warned"))
    assert run("init", "--no-terminologies")[0] == 0
    assert run("import", str(doc))[0] == 0

    show = runner.invoke(app, ["show", DS, "--format", "nt"])
    assert show.exit_code == 0
    shown = re.search(r"revision 1 was registered with (\d+) validation warning\(s\)", show.stderr)
    assert shown is not None and int(shown.group(1)) > 0
    assert "dcat:keyword" in show.stderr and "Warning" in show.stderr
    assert ox.parse(show.stdout.encode(), format=ox.RdfFormat.N_TRIPLES)  # only RDF on stdout
    assert "warning" not in show.stdout

    history = runner.invoke(app, ["history", DS])
    assert history.exit_code == 0
    assert f"revision 1: {shown.group(1)} validation warning(s)" in history.stdout  # the same warnings
    assert "dcat:keyword" in history.stdout
