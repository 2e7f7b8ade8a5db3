"""Limits of the site-hub WebSocket protocol, shared by the hub (api/) and the site agent."""

from __future__ import annotations

# The most a site's message (its hello, an answer) may take, in characters. An answer is a status, a count,
# a precision, a threshold, an epsilon and a reason (of which the hub passes on MAX_REASON characters), in an
# envelope with an id, the site, a nonce, a time and a signature: under 1 KiB, with any reason a site gives
# under a few. 64 KiB leaves room for far more and keeps the worst message cheap to read (a few ms of
# json.loads, re-encoding and verifying, on the event loop: a thread would not help, json holds the GIL);
# at the server's 16 MiB, one site's answer held every other request for seconds. Over it the hub refuses
# the message and closes the connection; the site agent sends a small error answer instead.
MAX_MESSAGE = 64 * 1024

# The server's frame limit (uvicorn's ws_max_size), the backstop: MAX_MESSAGE characters are at most 4 bytes
# each in UTF-8. uvicorn refuses a larger message itself (close 1009) instead of buffering it, and tells the
# app only that the site disconnected.
WS_MAX_BYTES = 4 * MAX_MESSAGE
