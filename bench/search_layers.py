"""Where the server's CPU per search goes, layer by layer, for bench/search.py's GraphQL search.

    .venv/bin/python bench/search_layers.py [--records 2000,100000] [--requests 600]

For each size, bench/search.py's 200 queries (text + 2 filters + 4 facets, first 10) are sent one at a
time, and each layer's CPU per search is measured on its own (process CPU, so figures hold on a shared
machine). Each layer includes the ones above it:

    index       TantivyIndex.search alone
    service     SearchService.search: the caller's visibility, disease codes expanded by the terminologies
    graphql     the schema executing the bench's document in this process (the service inline, no HTTP)
    http        the real server (`fairgrid serve --workers 1`): its CPU per request
    http_floor  the same server answering `{__typename}`: what any GraphQL request costs over HTTP

The differences are what each layer adds. They show how much of bench/search.py's "embedded CPU per
search" is the engine and how much is the Python around it, at a size where the engine costs next to
nothing and at the benchmark's size. The last line is one JSON object.

Every layer runs the same search: the index and the service get the query the schema builds for the
document (which selects no snippet, so none is made). The in-process layers take turns request by
request, in rotating order, each one's CPU summed apart: measured one after another, 600 requests each,
their figures drifted with the machine's load by more than the ~0.1 ms the service adds at 100,000
records, and once showed 0.77 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.live import LiveServer  # noqa: E402
from bench.load import cpu_seconds  # noqa: E402
from bench.search import GQL, import_terminologies, queries  # noqa: E402
from bench.search_data import Corpus  # noqa: E402
from registry.search.port import Facet, SearchFilter, SearchQuery  # noqa: E402

FACETS = [Facet.THEME, Facet.ACCESS_RIGHTS, Facet.DISEASE, Facet.KEYWORD]


def search_query(q: dict[str, Any]) -> SearchQuery:
    names = {"accessRights": "access_rights"}
    f = SearchFilter(**{names.get(k, k): v for k, v in q["filter"].items()})
    # GQL selects no hit snippet, so the schema asks for none (tests/test_bench_layers.py)
    return SearchQuery(text=q["text"], filters=f, facets=FACETS, first=10, snippets=False)


def cpu_ms_interleaved(fns: dict[str, Callable[[int], Any]], requests: int) -> dict[str, float]:
    """Process CPU ms per call of each of `fns`, called in turn for every request (first name rotating),
    so that a change in the machine's load or clock during the run weighs on all of them alike."""
    names = list(fns)
    for i in range(40):  # warm up
        for name in names:
            fns[name](i)
    spent = dict.fromkeys(names, 0.0)
    clock = time.process_time
    for i in range(requests):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            t = clock()
            fns[name](i)
            spent[name] += clock() - t
    return {name: round(spent[name] * 1000 / requests, 3) for name in names}


def in_process(home: Path, requests: int) -> dict[str, float]:
    from api.auth import Authenticator, dev_token
    from api.graphql.context import GraphQLContext
    from api.graphql.limits import Limits
    from api.graphql.schema import FairgridSchema
    from registry.identity import Role
    from registry.wiring import open_registry

    class InlineContext(GraphQLContext):
        async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            return fn(*args, **kwargs)  # no worker thread: its hand-off is not what is measured here

    qs = queries()
    sq = [search_query(q) for q in qs]
    with open_registry() as reg:
        who = Authenticator(reg.settings).identity("Bearer " + dev_token(home, "bench", [Role.RESEARCHER]))
        limits = Limits.from_settings(reg.settings.limits)
        schema = FairgridSchema(limits)
        index = reg.search.index

        def gql(i: int) -> None:
            ctx = InlineContext(reg, who, limits)
            r = asyncio.run(schema.execute(GQL, variable_values=qs[i % len(qs)], context_value=ctx))
            if r.errors:
                raise RuntimeError(str(r.errors[0]))

        ms = cpu_ms_interleaved(
            {
                "index": lambda i: index.search(sq[i % len(sq)]),
                "service": lambda i: reg.search.search(who, sq[i % len(sq)]),
                "graphql": gql,
                "loop": lambda i: asyncio.run(asyncio.sleep(0)),
            },
            requests,
        )
        return {
            "index": ms["index"],
            "service": ms["service"],
            "graphql": round(ms["graphql"] - ms["loop"], 3),
        }


def over_http(home: Path, requests: int) -> dict[str, float | None]:
    from api.auth import dev_token
    from registry.identity import Role

    token = dev_token(home, "bench", [Role.RESEARCHER])
    qs = queries()
    with (
        LiveServer(home) as server,
        httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as c,
    ):
        assert server.proc is not None
        pid, url = server.proc.pid, f"{server.base}/graphql"

        def server_ms(body: Callable[[int], dict[str, Any]]) -> float | None:
            for i in range(40):
                c.post(url, json=body(i))
            before = cpu_seconds(pid)
            for i in range(requests):
                r = c.post(url, json=body(i))
                if r.status_code != 200 or r.json().get("errors"):
                    raise RuntimeError(f"{r.status_code} {r.text[:200]}")
            after = cpu_seconds(pid)
            return None if before is None or after is None else round((after - before) * 1000 / requests, 3)

        return {
            "http": server_ms(lambda i: {"query": GQL, "variables": qs[i % len(qs)]}),
            "http_floor": server_ms(lambda i: {"query": "{ __typename }"}),
        }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", default="2000,100000", help="record counts, comma-separated, increasing")
    p.add_argument("--requests", type=int, default=600, help="searches per layer and size")
    a = p.parse_args()
    try:
        sizes = [int(x) for x in a.records.split(",")]
    except ValueError:
        p.error("--records takes record counts separated by commas, such as 2000,100000")
    if not sizes or any(n < 1 for n in sizes) or sizes != sorted(sizes) or a.requests < 1:
        p.error("--records takes positive counts in increasing order, --requests a positive number")
    from registry.search.embedded import TantivyIndex
    from registry.services.search import note_index_current

    work = Path(tempfile.mkdtemp(prefix="fairgrid-layers-"))
    home = work / "home"
    os.environ["FAIRGRID_HOME"] = str(home)
    os.environ["FAIRGRID_DEV_AUTH"] = "1"  # the bench signs in with a development token
    rows = []
    try:
        corpus = Corpus(home, import_terminologies(home))
        for n in sizes:
            ix = TantivyIndex(home / "index")
            ix.rebuild(corpus.documents(n))
            ix.close()
            note_index_current(home)
            row: dict[str, Any] = {
                "records": n,
                **in_process(home, a.requests),
                **over_http(home, a.requests),
            }
            print(row, flush=True)
            rows.append(row)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"requests": a.requests, "cpu_ms_per_search": rows}))


if __name__ == "__main__":
    main()
