"""The site directory: which key signs in which site."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.hub.sites import SiteDirectory
from federation.signing import public_text
from registry.identity import local_operator
from tests.api.rest.conftest import loaded_registry

SITE = """@prefix fg: <https://w3id.org/fairgrid/ns#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
<https://w3id.org/fairgrid/site/{name}> a fg:Site, foaf:Organization ; foaf:name "{name}" ;
  fg:siteId "{site_id}" ; fg:signingKey "{key}" .
"""


def test_two_site_records_claiming_one_site_id_sign_in_neither(tmp_path: Path) -> None:
    # a second Site record naming an existing fg:siteId with its own key took that site's identity
    # (whichever record was read last won): now the id is ambiguous and no key signs it in
    reg = loaded_registry(tmp_path / "home")
    keys = [public_text(Ed25519PrivateKey.generate()) for _ in range(3)]
    files = []
    for i, (name, site_id) in enumerate([("real", "twin"), ("impostor", "twin"), ("alone", "single")]):
        f = tmp_path / f"{name}.ttl"
        f.write_text(SITE.format(name=name, site_id=site_id, key=keys[i]))
        files.append(f)
    try:
        reg.importer.run(local_operator(), files)
        directory = SiteDirectory(reg.records)
        assert directory.key("single") == keys[2]
        assert directory.key("twin") is None
        assert "twin" in directory.sites()  # still a registered site (asked, answered NOT_CONNECTED)
    finally:
        reg.close()
