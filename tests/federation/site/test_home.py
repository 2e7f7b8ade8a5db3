"""The site home: site.yaml holds the pseudonymisation secret, so no one but its owner may ever read it."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from federation.site.home import CONFIG, init_site, open_site
from registry.errors import UnreadableInput

# Audit hooks cannot be removed, so one hook serves every test; it records only while `_watching` is set.
_watching: list[Path] = []
_seen: list[tuple[str, int, int]] = []  # (event, mode, size) of any site.yaml-ish file at that moment


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _watching or event not in ("open", "os.chmod", "os.rename", "os.replace"):
        return
    home = _watching[0]
    for path in home.glob(f"*{CONFIG}*"):  # site.yaml or any temporary file it is written through
        try:
            info = os.stat(path)
        except FileNotFoundError:
            continue
        _seen.append((event, stat.S_IMODE(info.st_mode), info.st_size))


sys.addaudithook(_hook)


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[Path]:
    old = os.umask(0o022)  # the common default: files are created world-readable unless asked otherwise
    _watching.append(tmp_path / "home")
    _seen.clear()
    try:
        yield tmp_path / "home"
    finally:
        _watching.clear()
        os.umask(old)


@pytest.mark.parametrize("force", [False, True])
def test_site_yaml_is_never_readable_by_others(watched: Path, force: bool) -> None:
    if force:
        init_site(watched, "site-a")
        _seen.clear()
    init_site(watched, "site-a", force=force)
    _watching.clear()
    assert _seen, "the hook saw the file being written"
    assert [s for s in _seen if s[2] > 0 and s[1] & 0o077] == []  # no moment with content readable by others
    assert stat.S_IMODE((watched / CONFIG).stat().st_mode) == 0o600
    assert stat.S_IMODE(watched.stat().st_mode) == 0o700  # the store and quarantine are the site's only
    assert list(watched.glob(f".{CONFIG}*")) == []  # no temporary file left behind
    assert open_site(watched).config.site_id == "site-a"


def test_a_folder_that_is_not_a_site_home_is_unreadable_input(tmp_path: Path) -> None:
    with pytest.raises(UnreadableInput, match="is not a site home"):
        open_site(tmp_path)
    (tmp_path / CONFIG).write_text("site_id: [unclosed\n")
    with pytest.raises(UnreadableInput, match="is not a readable site config"):
        open_site(tmp_path)
