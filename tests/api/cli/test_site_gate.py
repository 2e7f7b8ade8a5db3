"""`fairgrid site gate`: hostile or wrong input is a clear exit code 1-2 and changes nothing."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.signing import public_text
from federation.site.approvals_store import GOVERNANCE_KEY_FILE
from federation.site.home import init_site
from tests.api.cli.conftest import runner, site_only_app

app = site_only_app()


def test_refusals_change_nothing(tmp_path: Path) -> None:
    assert runner.invoke(app, ["site", "gate", "--home", str(tmp_path / "none"), "--supernode",
                               "127.0.0.1:1"]).exit_code == 2  # fmt: skip
    home = tmp_path / "h"
    init_site(home, "site-a")
    key = public_text(Ed25519PrivateKey.generate())
    with_key = ["--governance-key", key]  # pinned only if the command gets that far
    for args in (
        ["--supernode", "no-port", *with_key],
        ["--supernode", "127.0.0.1:99999", *with_key],
        ["--supernode", "http://evil/x:1", *with_key],
        ["--supernode", "127.0.0.1:1", "--secret-file", str(tmp_path / "missing"), *with_key],
        ["--supernode", "127.0.0.1:1", "--governance-key", "not a key"],
    ):
        r = runner.invoke(app, ["site", "gate", "--home", str(home), *args])
        assert r.exit_code == 1, (args, r.output)
        assert "Traceback" not in r.output
        assert not (home / GOVERNANCE_KEY_FILE).exists()
