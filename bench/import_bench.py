"""Benchmark of the bulk import: the shared 11,217 real patents, listings included, against 60 s.

    .venv/bin/python bench/import_bench.py                 # SQLite in a temporary directory
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/scratch .venv/bin/python bench/import_bench.py

BENCH_DATABASE_URL names a scratch PostgreSQL database: its public schema is DROPPED and rebuilt.
Each scenario starts from an empty database: the file is imported with --publish open_licence for
one university, then (in a fresh database) with --publish licence for another; each import is then
run a second time, which must add nothing. Exit status 1 if the target is missed or a second run
imports anything."""

from __future__ import annotations

import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from marketplace import create_app  # noqa: E402
from marketplace.accounts.models import Organization, OrgKind, OrgStatus  # noqa: E402
from marketplace.config import normalise_database_url  # noqa: E402
from marketplace.demo.names import make_uscc  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.patents.import_reader import read_file  # noqa: E402
from marketplace.patents.importer import TitleMode, import_patents  # noqa: E402

DATA = Path(os.environ.get("PATENTS_FILE", ROOT.parent / "shared" / "data" / "patents.jsonl"))
TARGET_SECONDS = 60.0
SCENARIOS = [("open_licence", "基准测试大学甲"), ("licence", "基准测试大学乙")]


def fresh_app(url: str, workdir: Path):
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
                      "INSTANCE_DIR": str(workdir), "UPLOAD_DIR": str(workdir / "uploads"),
                      "SEARCH_INDEX_DIR": str(workdir / "search_index"), "ENV_NAME": "bench"})
    from flask_migrate import upgrade

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
    return app


def timed_import(owner, kind):
    started = time.perf_counter()
    rows = read_file(DATA).rows
    report = import_patents(owner, rows, publish_kind=kind, title_mode=TitleMode.vouched)
    return report, time.perf_counter() - started


def run_scenario(url: str, workdir: Path, kind: str, owner_name: str, seed: int) -> bool:
    app = fresh_app(url, workdir)
    ok = True
    with app.app_context():
        owner = Organization(name=owner_name, kind=OrgKind.university, uscc=make_uscc(random.Random(seed)),
                             status=OrgStatus.verified)
        db.session.add(owner)
        db.session.commit()
        report, seconds = timed_import(owner, kind)
        c = report.counts
        verdict = "OK" if seconds < TARGET_SECONDS else "MISSED"
        ok &= seconds < TARGET_SECONDS and c["rejected"] == 0
        print(f"  --publish {kind} into {owner_name}: {c['total']} records in {seconds:.1f} s = "
              f"{c['total'] / seconds:,.0f} records/s (target < {TARGET_SECONDS:.0f} s: {verdict})")
        print(f"    imported {c['imported']}, rejected {c['rejected']}; listings published {c['published']}, "
              f"not published {c['not_published']}")
        again, seconds = timed_import(db.session.get(Organization, owner.id), kind)
        c = again.counts
        nothing_new = c["imported"] == 0 and c["updated"] == 0 and c["published"] == 0
        ok &= nothing_new
        print(f"    second run: imported {c['imported']}, updated {c['updated']}, unchanged {c['unchanged']}, "
              f"new listings {c['published']}, existing listings kept {c['existing']} ({seconds:.1f} s) — "
              + ("nothing new imported" if nothing_new else "UNEXPECTED CHANGES"))
        db.session.remove()
        db.engine.dispose()
    return ok


def main() -> int:
    if not DATA.exists():
        print(f"skipped: {DATA} is not present (the shared data set is not in this checkout)")
        return 0
    logging.disable(logging.INFO)
    print(f"import benchmark: {DATA} ({os.cpu_count()} CPUs; timings are noisy on a shared machine)")
    ok = True
    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        backends = [("SQLite", lambda n: f"sqlite:///{Path(tmp) / f'bench{n}.db'}")]
        if os.environ.get("BENCH_DATABASE_URL"):
            backends.append(("PostgreSQL", lambda n: os.environ["BENCH_DATABASE_URL"]))
        for name, url_for in backends:
            print(f"== {name}")
            for n, (kind, owner_name) in enumerate(SCENARIOS):
                ok &= run_scenario(url_for(n), Path(tmp), kind, owner_name, seed=n)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
