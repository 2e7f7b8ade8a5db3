"""The Flower App Bundle (FAB) custodians approve: built deterministically, named by sha256 of its bytes.

flwr 1.42's own builder (`flwr.cli.build.build_fab_from_disk`) is used, not a copy: it sorts the files,
stamps every zip entry with one fixed date and writes a CONTENT manifest, so the same source gives the
same bytes, and it applies the same include/exclude rules `flwr run` does, so the hash approved here is
the hash a SuperNode computes when it stores the FAB it is sent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from registry.errors import InputError, UnreadableInput


@dataclass(frozen=True)
class Fab:
    content: bytes
    hash: str  # sha256 hex of `content`


def fab_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def build_fab(app_dir: Path) -> Fab:
    """The FAB of the Flower app project in `app_dir` (its pyproject.toml names the app's components)."""
    from flwr.cli.build import build_fab_from_disk  # flwr is the train extra: import only when used

    app = app_dir.expanduser()
    if not (app / "pyproject.toml").is_file():
        raise UnreadableInput(f"{app} is not a Flower app project (no pyproject.toml)")
    try:
        content = build_fab_from_disk(app)
    except ValueError as exc:  # flwr's refusal of an invalid app configuration
        raise InputError(f"cannot build a FAB from {app}: {str(exc)[:500]}") from exc
    return Fab(content, fab_hash(content))
