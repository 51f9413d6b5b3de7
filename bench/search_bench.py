"""Search quality and latency on the real patents, through whole HTTP requests to gunicorn.

Lists every record of ../shared/data/patents.jsonl as a published listing, builds the index,
embeds the listings (`embed_pending`, as `flask search embed` does), starts gunicorn (one worker,
one thread) and sends each demand of bench/eval/{dev,test}.jsonl as `GET /api/v1/search?q=<demand>`.
A result counts when one of its IPC subclasses is among the demand's expected ones (P@10). Beside it:
plain BM25 (SQLite FTS5 over jieba tokens of title and abstract, the demand's words OR-ed) on the
same corpus; latency of keyword and sentence queries (sequential, p50/p95); the embedding time.

    EMBEDDING_CACHE_DIR=/path/outside/the/repo .venv/bin/python bench/search_bench.py [--sets dev,test]
        [--verbose] [--port 5160] [--embed-sample 32]

EMBEDDING_CACHE_DIR reuses vectors of texts embedded before (content-addressed): without it the
11,217 listings are embedded here, which takes minutes. --embed-sample times the model on that many
passages not in the cache and extrapolates to the whole corpus.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from common import ROOT, SHARED_PATENTS, bulk_publish, holders, load_real_patents, make_app

from marketplace.extensions import db
from marketplace.search.embeddings import embed_pending, get_encoder, passage_text
from marketplace.search.indexer import reindex
from marketplace.search.tokenizer import query_terms

EVAL_DIR = Path(__file__).resolve().parent / "eval"
KEYWORDS = ["电池", "锂离子电池 正极", "图像识别", "神经网络 训练", "污水 过滤", "机器人 焊接", "光伏 逆变器",
            "传感器", "芯片 封装", "药物", "G06F", "数据 加密", "无人机", "食品 保鲜", "夹具", "抗体"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def load_set(name: str) -> list[dict]:
    return [json.loads(line) for line in (EVAL_DIR / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]


# --- plain BM25 baseline -----------------------------------------------------------------

def build_fts(records: list[dict]) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE docs USING fts5(title, abstract, subclasses UNINDEXED, tokenize='unicode61')")
    rows = []
    for r in records:
        codes = r.get("ipc_all") or ([r["ipc"]] if r.get("ipc") else [])
        rows.append((" ".join(query_terms(r["title"])), " ".join(query_terms(r.get("abstract") or "")),
                     ",".join(dict.fromkeys(c[:4] for c in codes))))
    conn.executemany("INSERT INTO docs VALUES (?, ?, ?)", rows)
    return conn


def bm25_top(conn: sqlite3.Connection, text: str, k: int = 10) -> list[set[str]]:
    terms = [t for t in query_terms(text) if '"' not in t]
    if not terms:
        return []
    match = " OR ".join(f'"{t}"' for t in terms)
    rows = conn.execute("SELECT subclasses FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?", (match, k))
    return [set(s.split(",")) for (s,) in rows]


# --- HTTP ------------------------------------------------------------------------------------

class Client:
    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def search(self, q: str, per_page: int = 10) -> tuple[dict, float]:
        path = "/api/v1/search?" + urllib.parse.urlencode({"q": q, "per_page": per_page})
        started = time.perf_counter()
        self.conn.request("GET", path, headers={"Host": "localhost"})
        response = self.conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status == 200, body[:300]
        return json.loads(body), elapsed


def start_gunicorn(workdir: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ, BENCH_WORKDIR=str(workdir), PYTHONPATH=f"{ROOT}:{ROOT / 'bench'}")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-w", "1", "--threads", "1", "-b", f"127.0.0.1:{port}",
         "--timeout", "120", "bench_wsgi:app"], cwd=ROOT / "bench", env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def precision(subclass_sets: list[set[str]], expected: set[str], k: int = 10) -> float:
    return sum(1 for s in subclass_sets[:k] if s & expected) / k


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", default="dev,test")
    parser.add_argument("--port", type=int, default=5160)
    parser.add_argument("--embed-sample", type=int, default=32)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if not SHARED_PATENTS.exists():
        print(f"skipped: {SHARED_PATENTS} is not present")
        return 0
    import random

    rng = random.Random(42)
    app, workdir = make_app()
    records = load_real_patents()
    with app.app_context():
        started = time.perf_counter()
        bulk_publish(records, holders(20, rng), rng)
        loaded = time.perf_counter()
        count = reindex()
        built = time.perf_counter()
        embedded = embed_pending()
        done = time.perf_counter()
        print(f"{len(records):,} real patents listed in {loaded - started:.0f} s; index of {count:,} built in "
              f"{built - loaded:.0f} s; {embedded:,} listings embedded in {done - built:.0f} s "
              f"(EMBEDDING_CACHE_DIR={app.config.get('EMBEDDING_CACHE_DIR') or 'unset'})")
        if args.embed_sample:
            encoder = get_encoder()
            sample = [passage_text(f"样本{i} {r['title']}", "", [(r["title"], r.get("abstract") or "")])
                      for i, r in enumerate(rng.sample(records, args.embed_sample))]
            started = time.perf_counter()
            encoder.passage(sample)
            rate = len(sample) / (time.perf_counter() - started)
            print(f"embedding rate now: {rate:.1f} passages/s → {len(records) / rate / 60:.1f} min for "
                  f"{len(records):,} listings (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        db.session.remove()
        db.engine.dispose()
    fts = build_fts(records)
    server = start_gunicorn(workdir, args.port)
    try:
        client = Client(args.port)
        client.search("电池")
        client.search("冬天电池掉电快，想找改进电池材料的技术")  # loads the model
        for name in args.sets.split(","):
            demands = load_set(name)
            table: dict[str, dict[str, list[float]]] = {}
            sentence_ms: list[float] = []
            for demand in demands:
                expected = set(demand["expected"])
                body, elapsed = client.search(demand["q"])
                sentence_ms.append(elapsed)
                ours = [{c[:4] for c in result["ipc"]} for result in body["results"]]
                row = table.setdefault(demand["register"], {"site": [], "bm25": []})
                row["site"].append(precision(ours, expected))
                row["bm25"].append(precision(bm25_top(fts, demand["q"]), expected))
                if args.verbose:
                    print(f"  {row['site'][-1]:.1f} (BM25 {row['bm25'][-1]:.1f}) total {body['total']:>5}  {demand['q']}")
                    for result in body["results"][:10]:
                        subclasses = [c[:4] for c in result["ipc"]]
                        mark = "✓" if set(subclasses) & expected else "✗"
                        print(f"       {mark} {','.join(dict.fromkeys(subclasses))[:20]:<20} {result['title'][:36]}")
            print(f"== {name}: {len(demands)} demands")
            for register, row in table.items():
                print(f"   {register:<10} ({len(row['site'])}): P@10 site {statistics.mean(row['site']):.3f}   "
                      f"plain BM25 {statistics.mean(row['bm25']):.3f}")
            print(f"   sentence latency: p50 {statistics.median(sentence_ms):.0f} ms, "
                  f"p95 {percentile(sentence_ms, 95):.0f} ms")
        keyword_ms = [client.search(q)[1] for _round in range(5) for q in KEYWORDS]
        print(f"keyword latency ({len(keyword_ms)} requests): p50 {statistics.median(keyword_ms):.0f} ms, "
              f"p95 {percentile(keyword_ms, 95):.0f} ms")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
