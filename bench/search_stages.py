"""Where the embedded index's CPU per search goes, stage by stage, for bench/search.py's 200 queries.

    .venv/bin/python bench/search_stages.py INDEX_DIR [--records N] [--repeat 2]

Builds the index in INDEX_DIR from bench/search_data.generate(N) when the folder is empty, then times
each stage of a search on its own (CPU ms per search, time.process_time, so figures hold on a shared
machine): the ranked page with its count, the count alone, the four facet aggregations, and the same
ranked and count passes with the text alone (no filters). When a stage costs about the same with and
without the filters, its work follows the text's postings (a share of the whole corpus), not the matches.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.search import queries  # noqa: E402
from bench.search_data import generate  # noqa: E402
from registry.search import tantivy_query  # noqa: E402
from registry.search.common import FACET_FIELDS, FACET_SIZE  # noqa: E402
from registry.search.embedded import TantivyIndex  # noqa: E402
from registry.search.port import Facet, SearchFilter, SearchQuery  # noqa: E402

FACETS = [Facet.THEME, Facet.ACCESS_RIGHTS, Facet.DISEASE, Facet.KEYWORD]


def stages(ix: TantivyIndex, repeat: int) -> dict[str, Any]:
    index = ix._current()
    ix._state(index)
    s = index.searcher()
    sch = ix._schema
    cpu: dict[str, float] = {}
    matches = {"filtered": 0, "text_only": 0}
    aggs = {str(f): {"terms": {"field": FACET_FIELDS[f], "size": FACET_SIZE}} for f in FACETS}

    def timed(stage: str, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        t = time.process_time()
        out = fn(*args, **kw)
        cpu[stage] = cpu.get(stage, 0.0) + time.process_time() - t
        return out

    qs = queries()
    for _ in range(repeat):
        for q in qs:
            f = SearchFilter(
                **{{"accessRights": "access_rights"}.get(k, k): v for k, v in q["filter"].items()}
            )
            toks = tantivy_query.words(ix._analyzer, q["text"])
            scored, match = tantivy_query.build(sch, toks, f), tantivy_query.build(sch, toks, f, scored=False)
            text_scored = tantivy_query.build(sch, toks, SearchFilter())
            text_match = tantivy_query.build(sch, toks, SearchFilter(), scored=False)
            r = timed("ranked+count", s.search, scored, 256, count=True)
            timed("count", s.search, match, 1, count=True)
            timed("facets(4 aggs)", s.aggregate, match, aggs)
            t = timed("ranked+count text only", s.search, text_scored, 256, count=True)
            timed("count text only", s.search, text_match, 1, count=True)
            timed("full search", ix.search, SearchQuery(text=q["text"], filters=f, facets=FACETS, first=10))
            matches["filtered"] += r.count
            matches["text_only"] += t.count
    n = len(qs) * repeat
    return {
        "records": int(s.num_docs),
        "cpu_ms_per_search": {k: round(v * 1000 / n, 3) for k, v in cpu.items()},
        "avg_matches": {k: v // n for k, v in matches.items()},
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("index_dir", type=Path)
    p.add_argument("--records", type=int, default=100_000, help="corpus size when the index is built here")
    p.add_argument("--repeat", type=int, default=2)
    a = p.parse_args()
    ix = TantivyIndex(a.index_dir)
    if ix.count() == 0:
        t = time.monotonic()
        ix.rebuild(generate(a.records))
        print(f"built {a.records} records in {time.monotonic() - t:.1f}s", flush=True)
    print(json.dumps(stages(ix, a.repeat)))


if __name__ == "__main__":
    main()
