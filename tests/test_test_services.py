"""deploy/test-services.sh: overlapping test runs, from two checkouts, share a node; the last one stops it.

The node is a stand-in service (a `sleep` process behind a ctl.sh with the real scripts' commands), so
that the script's own logic runs for real: its locks, its owner file, the processes it starts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# A node as deploy/<svc>/ctl.sh drives one: its pid file in its own checkout; the port stands for what
# all checkouts share (a second start, from another checkout, finds it taken and fails).
DUMMY_CTL = r"""#!/usr/bin/env bash
here="$(cd "$(dirname "$0")" && pwd)"; pidf="$here/node.pid"; port="$DUMMY_PORT_FILE"
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
case "$1" in
  url) echo "http://127.0.0.1:1/dummy" ;;
  status) alive "$pidf" ;;
  start)
    alive "$port" && { echo "dummy: something else already answers" >&2; exit 1; }
    nohup sleep 600 >/dev/null 2>&1 &
    echo $! >"$pidf"; echo $! >"$port"; echo "dummy: started" ;;
  stop) alive "$pidf" && kill "$(cat "$pidf")"; rm -f "$pidf" "$port"; echo "dummy: stopped" ;;
esac
"""


def checkout(root: Path) -> Path:
    deploy = root / "deploy"
    (deploy / "dummy").mkdir(parents=True)
    shutil.copy(REPO / "deploy" / "test-services.sh", deploy / "test-services.sh")
    ctl = deploy / "dummy" / "ctl.sh"
    ctl.write_text(DUMMY_CTL)
    ctl.chmod(0o755)
    return deploy


def node_pid(deploy: Path) -> int | None:
    try:
        pid = int((deploy / "dummy" / "node.pid").read_text())
    except (OSError, ValueError):
        return None
    return pid if Path(f"/proc/{pid}").exists() else None


def alive(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return False


def wait_for(cond: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    locks = tmp_path / "locks"
    locks.mkdir()
    return {
        **os.environ,
        "TMPDIR": str(locks),
        "DUMMY_PORT_FILE": str(tmp_path / "port"),
        "FAIRGRID_SERVICES": "dummy",
        "FAIRGRID_SKIP_SERVICES": "",
    }


def run(deploy: Path, env: dict[str, str], script: str) -> subprocess.Popen[str]:
    cmd = [str(deploy / "test-services.sh"), "run", "bash", "-c", script]
    return subprocess.Popen(
        cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def test_the_last_of_two_overlapping_runs_from_two_checkouts_stops_the_node(
    tmp_path: Path, env: dict[str, str]
) -> None:
    first, second = checkout(tmp_path / "one"), checkout(tmp_path / "two")
    gate = tmp_path / "first-may-end"
    a = run(first, env, f'while [ ! -e "{gate}" ]; do sleep 0.05; done')
    wait_for(lambda: node_pid(first) is not None)
    pid = node_pid(first)
    assert pid is not None
    b = run(second, env, 'echo "ctl=$FAIRGRID_DUMMY_CTL"; read -r _ || true')  # ends when its stdin closes
    assert b.stdout is not None and b.stdin is not None
    seen = [b.stdout.readline() for _ in range(2)]
    assert any("running for another test run" in x for x in seen), seen
    assert f"ctl={first / 'dummy' / 'ctl.sh'}\n" in seen, seen  # restarts go through the owner's ctl.sh
    gate.touch()
    a_out, _ = a.communicate(timeout=30)
    assert a.returncode == 0, a_out
    assert "still used by another test run" in a_out
    assert alive(pid), "the first run stopped the node the second still uses"
    # the node holds none of the runs' locks (else no run would ever be the last one)
    held = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
    assert not [p for p in held if ".users" in p or ".mutex" in p], held
    b_rest, _ = b.communicate(timeout=30)
    assert b.returncode == 0, b_rest
    wait_for(lambda: not alive(pid))
    assert not list((tmp_path / "locks").glob("*.owner"))


def test_a_node_started_by_hand_is_left_running(tmp_path: Path, env: dict[str, str]) -> None:
    deploy = checkout(tmp_path / "one")
    subprocess.run([str(deploy / "dummy" / "ctl.sh"), "start"], env=env, check=True, capture_output=True)
    pid = node_pid(deploy)
    assert pid is not None
    try:
        done = subprocess.run(
            [str(deploy / "test-services.sh"), "run", "true"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "left running afterwards" in done.stdout and alive(pid)
    finally:
        subprocess.run([str(deploy / "dummy" / "ctl.sh"), "stop"], env=env, capture_output=True)


def test_the_command_exit_status_is_the_scripts_and_a_lone_run_stops_its_node(
    tmp_path: Path, env: dict[str, str]
) -> None:
    deploy = checkout(tmp_path / "one")
    done = subprocess.run(
        [str(deploy / "test-services.sh"), "run", "bash", "-c", "cat \"$DUMMY_PORT_FILE\"; exit 3"],
        env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 3, done.stdout + done.stderr
    pid = int(done.stdout.split("dummy: started\n", 1)[1].split()[0])
    wait_for(lambda: not alive(pid))
