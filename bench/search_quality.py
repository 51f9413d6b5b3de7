"""Precision@10 of demand matching on the real patents (../shared/data/patents.jsonl).

Loads every record into a temporary database as a published listing, builds the index, runs each
demand of bench/demands_eval.jsonl (an SME's words; no IPC hint) through the site's matching code
(marketplace.search.matching.ranked_hits), and counts a result when one of its IPC subclasses is
among the demand's expected ones. A plain BM25 baseline (the demand's own words, any of them, no
expansion, no IPC boosts) is printed beside it.

    .venv/bin/python bench/search_quality.py [--verbose]
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import time
from pathlib import Path

from common import SHARED_PATENTS, bulk_publish, holders, load_real_patents, make_app

from marketplace.extensions import db
from marketplace.search.indexer import reindex
from marketplace.search.matching import profile_of, ranked_hits
from marketplace.search.params import SearchParams
from marketplace.search.queries import search, terms_query
from marketplace.search.tokenizer import query_terms

EVAL = Path(__file__).resolve().parent / "demands_eval.jsonl"


def precision(hits, expected: set[str], k: int = 10) -> float:
    top = hits[:k]
    return sum(1 for hit in top if expected & set(hit.subclasses)) / k


def main() -> int:
    if not SHARED_PATENTS.exists():
        print(f"skipped: {SHARED_PATENTS} is not present")
        return 0
    verbose = "--verbose" in sys.argv
    demands = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines() if line.strip()]
    app, workdir = make_app()
    rng = random.Random(42)
    with app.app_context(), app.test_request_context():
        started = time.perf_counter()
        records = load_real_patents()
        bulk_publish(records, holders(20, rng), rng)
        loaded = time.perf_counter()
        count = reindex()
        built = time.perf_counter()
        print(f"{len(records)} real patents loaded in {loaded - started:.1f} s; "
              f"index of {count} listings built in {built - loaded:.1f} s")
        ours, baseline = [], []
        for demand in demands:
            expected = set(demand["expected"])
            hits = ranked_hits(profile_of(demand["title"], demand["description"]), None, limit=10)
            plain = terms_query(query_terms(f"{demand['title']} {demand['description']}"), group=_or)
            base_hits = search(SearchParams(per_page=10), None, text=plain, facets=False).hits if plain else []
            ours.append(precision(hits, expected))
            baseline.append(precision(base_hits, expected))
            if verbose:
                print(f"{ours[-1]:.1f} (baseline {baseline[-1]:.1f})  {demand['title']}")
                for hit in hits[:10]:
                    mark = "✓" if expected & set(hit.subclasses) else "✗"
                    print(f"     {mark} {','.join(hit.subclasses[:3]):<16} {hit.title[:40]}")
        db.session.remove()
        db.engine.dispose()
    shutil.rmtree(workdir, ignore_errors=True)
    print(f"demands: {len(demands)}")
    print(f"precision@10, plain BM25 baseline: {sum(baseline) / len(baseline):.3f}")
    print(f"precision@10, site matching:       {sum(ours) / len(ours):.3f}")
    return 0


def _or(parts):
    from whoosh import query

    return query.Or(parts)


if __name__ == "__main__":
    sys.exit(main())
