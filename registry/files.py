"""Atomic file replacement, shared by every cache, pointer and secret fairgrid keeps on disk.

A reader (often another API worker) sees the old file or the new one, never half of one: the new
content goes to a temporary file in the same folder, is flushed to disk, then renamed over the old
name. The temporary name is unique per call, so two processes writing the same file at once do not
write into each other's temporary file; the last rename wins whole.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_atomic(path: Path, data: bytes | str, *, private: bool = False, durable: bool = True) -> None:
    """Replace `path` with `data` (str is written as UTF-8).

    `private` creates the file 0600 from its first byte (chmod after writing would leave a secret
    readable meanwhile). `durable` fsyncs before the rename, so a power cut cannot leave an empty file
    under the new name; caches that are rebuilt anyway may skip it.
    """
    body = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
