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

from registry.errors import UnreadableInput


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


def ensure_folder(path: Path, what: str, *, hint: str, mode: int = 0o777) -> None:
    """Create the folder `path` (and its parents) unless it is there, or raise UnreadableInput saying
    why it cannot be: a file in the way, no permission, a read-only disk. `what` names it for people
    ("the registry home"), `hint` says which setting or option chose the path."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=mode)
    except OSError as exc:
        why = (exc.strerror or type(exc).__name__).lower()
        raise UnreadableInput(f"cannot use {path} as {what}: {why}", hint=hint) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UnreadableInput(f"cannot use {path} as {what}: it is not writable", hint=hint)
