"""A publish in its own process, for the crash tests: `python -m tests.registry.publish.publish_worker
URL TOKEN HOME KEY FILE... [--stop-at STEP --marker PATH]`. With --stop-at, the process writes the marker
when the publisher reaches STEP and then waits there (to be killed with SIGKILL); otherwise it prints the
Published as JSON."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from registry.errors import FairgridError
from registry.publish.journal import Journal
from registry.publish.publisher import PackageFile, Publisher
from registry.publish.zenodo import ZenodoClient

METADATA = {
    "upload_type": "dataset",
    "title": "Crash test",
    "description": "published by a process that may be killed",
    "creators": [{"name": "Doe, Jane"}],
    "version": "1",
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("home", type=Path)
    parser.add_argument("key")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--stop-at")
    parser.add_argument("--marker", type=Path)
    parser.add_argument("--lock-timeout", type=float, default=30.0)
    args = parser.parse_args()

    def checkpoint(step: str) -> None:
        if step == args.stop_at:
            args.marker.write_text(step)
            while True:  # stay here until killed
                time.sleep(1)

    journal = Journal(args.home / "publish" / "journal.sqlite", lock_timeout_s=args.lock_timeout)
    client = ZenodoClient(args.url, args.token, sleep=lambda _s: None)
    publisher = Publisher(client, journal, checkpoint=checkpoint)
    files = [PackageFile(p.name, p) for p in args.files]
    try:
        done = publisher.publish(args.key, METADATA, files, progress=lambda m: print(m, file=sys.stderr))
    except FairgridError as exc:
        print(f"{exc.code}: {exc.message}", file=sys.stderr)
        return 1
    print(json.dumps(done.to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
