"""The site's Ed25519 key pair: the private key stays in the site home; the public one is in its record."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.signing import load_or_create_key, public_text
from registry.errors import UnreadableInput

KEY_FILE = "keys/site-ed25519.pem"


def site_key(home: Path) -> Ed25519PrivateKey:
    return load_or_create_key(home / KEY_FILE)


def existing_site_key(home: Path) -> Ed25519PrivateKey:
    """The key a site already holds, to sign as its custodian: a new key made up at a mistyped --site-home
    would sign approvals no site can be held to."""
    if not (home / KEY_FILE).is_file():
        raise UnreadableInput(
            f"{home} holds no site signing key ({KEY_FILE})",
            hint="give --site-home the site's home folder (where `fairgrid site init` ran)",
        )
    return site_key(home)


def site_public_key(home: Path) -> str:
    return public_text(site_key(home))
