"""An installed wheel must carry the pages' templates and assets: every file under api/pages that is
not Python is named by a package-data pattern in pyproject.toml (the wheel built from HEAD was checked
by hand to hold all of them; this keeps a new file from being left out)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import api.pages

REPO = Path(__file__).resolve().parents[3]


def test_every_page_asset_is_package_data() -> None:
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    root = Path(api.pages.__file__).parent
    covered = {p for pattern in patterns["api.pages"] for p in root.glob(pattern) if p.is_file()}
    files = {p for p in root.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")}
    assert files - covered == set()
    assert {"graphiql.min.js", "swagger-ui-bundle.js", "landing.html.j2"} <= {p.name for p in covered}
