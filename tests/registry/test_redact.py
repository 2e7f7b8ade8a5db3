"""Credentials in store and index URLs never reach error messages, readiness reports or logs."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from registry.errors import Unavailable
from registry.redact import install_log_redaction, redact
from tests.conftest import free_port

SECRETS = ("s3cret", "tok123")


def leaks(text: str) -> bool:
    return any(s in text for s in SECRETS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://alice:s3cret@db:7878/query", "http://***@db:7878/query"),
        ("https://tok123@search.example/x", "https://***@search.example/x"),
        ("http://h/q?access_token=tok123&a=1", "http://h/q?access_token=***&a=1"),
        ("http://h/?a=1&token=tok123#f", "http://h/?a=1&token=***#f"),
        ("http://h/?API_KEY=tok123;password=s3cret", "http://h/?API_KEY=***;password=***"),
        ("mailto:team@example.org and alice@example.org", "mailto:team@example.org and alice@example.org"),
        ("http://h/q?query=ASK%20%7B%7D", "http://h/q?query=ASK%20%7B%7D"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_errors_carry_no_credentials() -> None:
    exc = Unavailable(
        "SPARQL endpoint http://alice:s3cret@db/query unreachable",
        hint="check http://db/?token=tok123",
        details={"urls": ["http://u:s3cret@x/"], "n": 3},
    )
    assert not leaks(exc.message) and not leaks(str(exc)) and not leaks(exc.hint)
    assert exc.details == {"urls": ["http://***@x/"], "n": 3}


def test_log_records_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    log = logging.getLogger("fairgrid.test.redact")
    with caplog.at_level(logging.INFO, logger="fairgrid.test.redact"):
        log.info("store at %s (%d tries)", "http://alice:s3cret@db/query", 3)
        log.warning("failed: %s", OSError("connecting to http://h/?token=tok123"))
        try:
            raise RuntimeError("http://alice:s3cret@db/update refused")
        except RuntimeError:
            log.exception("update failed")
    text = caplog.text
    assert "store at http://***@db/query (3 tries)" in text and "token=***" in text
    assert "RuntimeError" in text and not leaks(text)


def test_cli_errors_and_reports_name_urls_without_credentials(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there: the store is down
    env = {
        **os.environ,
        "FAIRGRID_HOME": str(tmp_path / "home"),
        "FAIRGRID_STORE_URL": f"http://alice:s3cret@127.0.0.1:{port}/query?access_token=tok123",
    }
    exe = Path(sys.executable).parent / "fairgrid"
    cli = subprocess.run(
        [str(exe), "history", "https://w3id.org/fairgrid/dataset/x"], env=env, capture_output=True, text=True
    )
    assert cli.returncode == 3
    assert f"http://***@127.0.0.1:{port}/query?access_token=***" in cli.stderr and not leaks(cli.stderr)

    # an index down while entries wait: the report and the log line name the URL, masked
    home = {**os.environ, "FAIRGRID_HOME": str(tmp_path / "home2")}
    assert subprocess.run([str(exe), "init"], env=home, capture_output=True).returncode == 0
    search = f"http://admin:s3cret@127.0.0.1:{port}/?token=tok123"
    sync = subprocess.run(
        [str(exe), "index-sync"], env={**home, "FAIRGRID_SEARCH_URL": search}, capture_output=True, text=True
    )
    assert sync.returncode == 3 and "pending 3" in sync.stdout
    assert f"http://***@127.0.0.1:{port}/?token=***" in sync.stderr and not leaks(sync.stdout + sync.stderr)
