"""How long until a listing published by a CLI import is searchable, with `make run` up.

    .venv/bin/python bench/worker_search_bench.py [--port 5151] [--records 300]

Starts what `make run` starts (python -m marketplace.run: the site and the worker) on a fresh
SQLite database in a temporary directory, imports real records from ../shared/data/patents.jsonl
with `flask import-patents --publish licence` in another process, then asks /api/v1/search every
20 ms for one of the imported titles. Prints the delay from the end of the import command until
that listing is found, and until every published listing is; exit status 1 above TARGET_SECONDS.
BENCH_REDIS_URL runs the queue on Redis instead of SQLite (give a database number of your own)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED_PATENTS = ROOT.parent / "shared" / "data" / "patents.jsonl"
TARGET_SECONDS = 2.0


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, {}  # not up yet


def wait_until(predicate, timeout: float, step: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


def setup(workdir: Path, env: dict) -> str:
    """Schema and one verified university (the owner the import names); returns its name."""
    flask = [sys.executable, "-m", "flask", "--app", "marketplace"]
    subprocess.run([*flask, "db", "upgrade"], env=env, check=True, capture_output=True)
    name = "基准测试大学（检索时延）"
    script = ("from marketplace import create_app\n"
              "from marketplace.accounts.models import Organization, OrgKind, OrgStatus\n"
              "from marketplace.demo.names import make_uscc\n"
              "from marketplace.extensions import db\n"
              "import random\n"
              "app = create_app()\n"
              "with app.app_context():\n"
              f"    db.session.add(Organization(name={name!r}, kind=OrgKind.university,\n"
              "                                uscc=make_uscc(random.Random(1)), status=OrgStatus.verified))\n"
              "    db.session.commit()\n")
    subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True, cwd=ROOT)
    return name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "5151")))
    parser.add_argument("--records", type=int, default=300)
    parser.add_argument("--offset", type=int, default=0, help="skip this many records of the file first")
    args = parser.parse_args()
    if not SHARED_PATENTS.exists():
        print(f"skipped: {SHARED_PATENTS} is not present")
        return 0

    workdir = Path(tempfile.mkdtemp(prefix="mp-worker-bench-"))
    env = dict(os.environ, PYTHONPATH=str(ROOT), SECRET_KEY="bench", MARKETPLACE_ENV="development",
               DATABASE_URL=f"sqlite:///{workdir / 'bench.db'}", INSTANCE_DIR=str(workdir),
               SEARCH_INDEX_DIR=str(workdir / "search_index"), TASKS_NAME=os.environ.get("BENCH_TASKS_NAME", f"bench-{os.getpid()}"),
               SITE_URL=f"http://127.0.0.1:{args.port}")
    env.pop("REDIS_URL", None)
    if os.environ.get("BENCH_REDIS_URL"):
        env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    owner = setup(workdir, env)
    records = workdir / "records.jsonl"
    with SHARED_PATENTS.open(encoding="utf-8") as source, records.open("w", encoding="utf-8") as out:
        for n, line in enumerate(source):
            if n >= args.offset + args.records:
                break
            if n >= args.offset:
                out.write(line)

    base = f"http://127.0.0.1:{args.port}"
    log = (workdir / "run.log").open("w")  # closed with the process
    run = subprocess.Popen([sys.executable, "-m", "marketplace.run", "--port", str(args.port)], env=env,
                           cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log,
                           start_new_session=True)
    try:
        if not wait_until(lambda: get_json(f"{base}/healthz")[1].get("checks", {}).get("worker", {}).get("ok"),
                          60, 0.2):
            print(f"the site or the worker did not come up; see {workdir / 'run.log'}")
            return 1
        started = time.perf_counter()
        imported = subprocess.run([sys.executable, "-m", "flask", "--app", "marketplace", "import-patents",
                                   str(records), "--owner", owner, "--publish", "licence"],
                                  env=env, cwd=ROOT, capture_output=True, text=True)
        done = time.perf_counter()
        if imported.returncode != 0:
            print(imported.stdout, imported.stderr)
            return 1
        summary = [line for line in imported.stdout.splitlines() if line.startswith(("共", "挂牌"))]
        first = json.loads(records.read_text(encoding="utf-8").splitlines()[0])

        def found_first():
            status, answer = get_json(f"{base}/api/v1/search?q={urllib.parse.quote(first['title'])}&kind=licence")
            return any(r["title"].endswith(first["title"]) or first["title"] in r["title"]
                       for r in answer.get("results", [])) and time.perf_counter()

        found = wait_until(found_first, 30)
        published = int(next((s.split("发布 ")[1].split("，")[0] for s in summary if s.startswith("挂牌")), "0"))
        everything = wait_until(
            lambda: get_json(f"{base}/api/v1/search?kind=licence")[1].get("total", 0) >= published
            and time.perf_counter(), 30)
    finally:
        os.killpg(run.pid, signal.SIGINT)
        run.wait(timeout=20)
    print(f"import of {args.records} records (--publish licence): {done - started:.2f} s; " + " ".join(summary))
    if not found:
        print("the first record was not found within 30 s")
        return 1
    print(f"first record searchable {found - done:.2f} s after the import command returned "
          f"(target {TARGET_SECONDS:.0f} s)")
    if everything:
        print(f"all {published} published listings searchable after {everything - done:.2f} s")
    return 0 if found - done <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
