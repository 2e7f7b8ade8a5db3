from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from federation.site.home import SiteHome, init_site
from federation.site.store import SiteStore
from federation.site.terminology import Terminology
from federation.synth.run import synthesize


@pytest.fixture(scope="session")
def cohorts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small synthetic cohorts (2 sites x 60 patients) for each use case."""
    root = tmp_path_factory.mktemp("synth")
    out = {}
    for uc in ("mds", "scd", "mm"):
        synthesize(uc, 2, 60, 11, root / uc)
        out[uc] = root / uc
    return out


@pytest.fixture
def home(tmp_path: Path) -> SiteHome:
    return init_site(tmp_path / "home", "site-t", secret="test-secret", threshold=5)


@pytest.fixture
def store(home: SiteHome) -> Iterator[SiteStore]:
    s = SiteStore(home.store_path, terminology=Terminology.fallback())
    yield s
    s.close()
