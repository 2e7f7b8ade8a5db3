"""Site services take the caller's identity first: site operators (of this site, when named) and admins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from federation.cdm import build
from federation.site import service
from federation.site.home import SiteHome
from federation.site.store import SiteStore
from registry.errors import PermissionDenied
from registry.identity import Identity, Role, local_operator

OPERATOR = Identity("op", frozenset({Role.SITE_OPERATOR}), site="site-t")
OTHER_SITE = Identity("op-b", frozenset({Role.SITE_OPERATOR}), site="site-b")
RESEARCHER = Identity("someone", frozenset({Role.RESEARCHER}))


@pytest.fixture(autouse=True)
def _empty_store(home: SiteHome) -> None:
    SiteStore(home.store_path).close()  # as `site init` leaves it


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "p.ndjson"
    path.write_text(json.dumps(build.patient("p1", "female", "1950-03")) + "\n")
    return path


def test_operators_of_the_site_and_admins_may_load_and_read(home: SiteHome, tmp_path: Path) -> None:
    inputs = service.plan_load(OPERATOR, home.path, [_file(tmp_path)])
    assert service.load(OPERATOR, home.path, inputs, skip_invalid=False).loaded == 1
    assert service.stats(local_operator(), home.path)["patients"] == 1  # the CLI's local admin
    assert service.count(OPERATOR, home.path, service.CountFilter(sex="female")) == 1


@pytest.mark.parametrize("who", [OTHER_SITE, RESEARCHER], ids=["other site", "researcher"])
def test_anyone_else_is_refused_and_nothing_changes(home: SiteHome, tmp_path: Path, who: Identity) -> None:
    inputs = service.plan_load(OPERATOR, home.path, [_file(tmp_path)])
    with pytest.raises(PermissionDenied):
        service.load(who, home.path, inputs, skip_invalid=False)
    with pytest.raises(PermissionDenied):
        service.count(who, home.path, service.CountFilter())
    with pytest.raises(PermissionDenied):
        service.init(who, tmp_path / "new", "site-t", threshold=10, organisation="", email="", force=False)
    assert service.stats(OPERATOR, home.path)["patients"] == 0
    assert not (tmp_path / "new").exists()
