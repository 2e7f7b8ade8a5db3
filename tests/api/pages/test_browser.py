"""A real headless Chromium opens the pages from a real server on localhost, with no internet: GraphiQL
runs a query (its result appears in the page), Swagger UI renders the API, and the browser reports no
Content-Security-Policy violation. Skips when chromium is not installed, unless FAIRGRID_REQUIRE_CHROMIUM=1
(`make test` sets it and installs chromium).

FAIRGRID_SCREENSHOTS=DIR keeps a screenshot of each page there, to look at."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import uvicorn
from websockets.sync.client import ClientConnection, connect

from api.app import create_app
from api.auth import Authenticator
from registry.wiring import Registry
from tests.conftest import free_port

WAIT_S = 180.0  # a bound on each wait (generous: a loaded shared machine), not a measured figure
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--remote-debugging-port=0", "--window-size=1280,900",
]  # fmt: skip


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("FAIRGRID_REQUIRE_CHROMIUM") == "1":
            pytest.fail(
                "FAIRGRID_REQUIRE_CHROMIUM=1 but chromium is not installed (apt-get install chromium)"
            )
        pytest.skip("chromium is not installed (apt-get install chromium; make test installs it)")
    return found


def _until(what: str, probe: Any) -> Any:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


class DevTools:
    """The few DevTools protocol calls the test needs, over one page target's websocket."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=WAIT_S))
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                result: dict[str, Any] = msg.get("result", {})
                return result
            self.events.append(msg)

    def eval(self, expression: str) -> Any:
        out = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return out.get("result", {}).get("value")

    def problems(self) -> list[str]:
        """Console errors and security (CSP) reports so far."""
        self.eval("1")  # collect pending events
        out = []
        for e in self.events:
            if e.get("method") == "Log.entryAdded":
                entry = e["params"]["entry"]
                if entry.get("level") == "error" or entry.get("source") == "security":
                    out.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}")
            elif e.get("method") == "Runtime.exceptionThrown":
                out.append(str(e["params"]["exceptionDetails"].get("text")))
        return out

    def screenshot(self, name: str) -> None:
        folder = os.environ.get("FAIRGRID_SCREENSHOTS")
        if folder:
            data = self.call("Page.captureScreenshot", format="png")["data"]
            Path(folder, name).write_bytes(base64.b64decode(data))


@pytest.fixture(scope="module")
def server(shared: Registry) -> Iterator[str]:
    port = free_port()
    app = create_app(shared, Authenticator(shared.settings), sync_interval_s=0)
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    _until("the server", lambda: srv.started)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(WAIT_S)


@pytest.fixture(scope="module")
def browser() -> Iterator[DevTools]:
    exe = _chromium()
    # Chromium's helper processes may still be writing the profile as it is removed.
    with tempfile.TemporaryDirectory(prefix="fairgrid-chromium-", ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen(
            [exe, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: the helpers stop with it
        )
        try:
            port_file = Path(profile, "DevToolsActivePort")
            _until("chromium's DevTools port", lambda: port_file.exists() and port_file.read_text().strip())
            port = port_file.read_text().split()[0]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as r:
                pages = [t for t in json.load(r) if t["type"] == "page"]
            with connect(pages[0]["webSocketDebuggerUrl"], max_size=None) as ws:
                tools = DevTools(ws)
                for domain in ("Page", "Runtime", "Log"):
                    tools.call(f"{domain}.enable")
                yield tools
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(WAIT_S)


def _open(tools: DevTools, url: str) -> None:
    tools.events.clear()
    tools.call("Page.navigate", url=url)
    _until(f"{url} to load", lambda: tools.eval("document.readyState") == "complete")


def test_the_browser_enforces_the_policy(server: str, browser: DevTools) -> None:
    """What the other tests' `problems() == []` relies on: an inline script or style is refused and
    reported."""
    _open(browser, f"{server}/signin")
    browser.eval("const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
                 "document.body.appendChild(s); const c = document.createElement('style');"
                 "c.textContent = 'body{color:red}'; document.head.appendChild(c)")  # fmt: skip
    assert browser.eval("window.ran") is None
    reports = browser.problems()
    assert len(reports) == 2 and all("Content Security Policy" in r for r in reports), reports


def test_graphiql_runs_a_query_offline(server: str, browser: DevTools) -> None:
    query = '{ search(text: "statistics") { totalCount hits { title } } }'
    _open(browser, f"{server}/graphql#query={quote(query)}")
    _until("GraphiQL to render", lambda: browser.eval("!!document.querySelector('.graphiql-execute-button')"))
    browser.eval("document.querySelector('.graphiql-execute-button').click()")
    shown = _until(
        "the query's result in the page",
        lambda: "Consortium aggregate statistics" in (txt := browser.eval(
            "(document.querySelector('.graphiql-response') || {}).innerText || ''"
        )) and txt,
    )  # fmt: skip
    assert '"totalCount"' in shown
    browser.screenshot("graphiql.png")
    assert browser.problems() == []


def test_swagger_ui_renders_the_api_offline(server: str, browser: DevTools) -> None:
    _open(browser, f"{server}/docs")
    title = _until(
        "Swagger UI", lambda: browser.eval("(document.querySelector('.info .title') || {}).innerText")
    )
    assert "fairgrid" in title
    assert _until("the operations", lambda: browser.eval("document.querySelectorAll('.opblock').length")) > 3
    browser.screenshot("docs.png")
    assert browser.problems() == []


def test_search_and_landing_pages_render_under_the_policy(server: str, browser: DevTools) -> None:
    _open(browser, f"{server}/?q=registry")
    assert "record(s)" in browser.eval("document.body.innerText")
    # the stylesheet applied: a served file, not an inline style
    assert browser.eval("getComputedStyle(document.querySelector('.kind')).borderRadius") == "4px"
    browser.screenshot("search.png")
    _open(browser, f"{server}/dataset/consortium-aggregate-statistics")
    assert "Distributions" in browser.eval("document.body.innerText")
    browser.screenshot("landing.png")
    _open(browser, f"{server}/signin")
    browser.screenshot("signin.png")
    assert browser.problems() == []


def test_signing_in_from_the_page_keeps_the_token_from_scripts(
    server: str, browser: DevTools, shared: Registry
) -> None:
    from api.auth import dev_token
    from registry.identity import Role

    token = dev_token(shared.settings.home, "web-curator", [Role.CURATOR])
    _open(browser, f"{server}/signin")
    browser.eval(f"document.getElementById('token').value = {json.dumps(token)}; document.forms[0].submit()")
    _until(
        "the redirect home",
        lambda: browser.eval("location.pathname === '/' && document.readyState === 'complete'"),
    )
    assert "Sign out" in browser.eval("document.body.innerText")
    assert browser.eval("document.cookie") == ""  # HttpOnly: no script sees the token
    _open(browser, f"{server}/signin")
    assert "Signed in as web-curator" in browser.eval("document.body.innerText")
    browser.eval("document.querySelector('form[action=\"/signout\"]').submit()")
    _until(
        "signed out", lambda: browser.eval("location.pathname === '/' && document.readyState === 'complete'")
    )
    assert "Sign in" in browser.eval("document.body.innerText")
    assert browser.problems() == []
