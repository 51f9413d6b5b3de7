"""A mixed signed-in load on the embedded default: gunicorn (2 workers) on SQLite.

    .venv/bin/python bench/load.py [--port 5122] [--users 16] [--requests 1200] [--threads 8]

A fresh SQLite database in a temporary directory (real patents from ../shared/data when present,
published as listings; the search index built), then `--users` people at once, half enterprises
and half patent holders, each signed in with their own session, firing requests back to back until
`--requests` have been sent: pages (home, search, listings, deals, inquiries, notifications) and
writes (inquiries and replies, saved searches, proposals, counter-offers, agreements, completions,
marking notifications read). Gunicorn runs 2 workers × `--threads` threads, so the writers really
overlap.

Prints the answers by status class, the 5xx count and the count of "database is locked" in the
server log: both should be 0."""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from common import SHARED_PATENTS, bulk_publish, load_real_patents, make_app
from live import Browser, LiveServer

from marketplace.extensions import db

PASSWORD = "Load-Horse-42"
QUERIES = ["锂电池", "图像识别", "传感器", "中药", "无人机", "数据处理", "电池 正极", "显示面板", "发动机", "储能"]
DEAL_LINK = re.compile(r'href="/deals/(\d+)"')
STEP_FORM = re.compile(r'action="/deals/(\d+)/steps/(\w+)"')
SEEN = re.compile(r'name="seen" value="([^"]+)"')
LISTING_LINK = re.compile(r'href="/listings/(\d+)"')


def set_up(workdir: Path, users: int, patents: int) -> tuple[dict, list[int]]:
    from marketplace.accounts.models import Organization, OrgKind, OrgStatus, User
    from marketplace.demo.names import make_uscc
    from marketplace.search.indexer import reindex

    app, _ = make_app(workdir)
    rng = random.Random(7)
    people: dict[str, list[str]] = {"enterprise": [], "holder": []}
    with app.app_context():
        holder_orgs = []
        for n in range(users):
            side = "enterprise" if n % 2 == 0 else "holder"
            kind = OrgKind.enterprise if side == "enterprise" else rng.choice([OrgKind.university, OrgKind.institute])
            org = Organization(name=f"负载测试{kind.label}{n}", kind=kind, uscc=make_uscc(rng),
                               region="福建省福州市鼓楼区", status=OrgStatus.verified, is_sme=n % 4 == 0)
            user = User(email=f"load{n}@bench.example.cn", name=f"负载用户{n}", organization=org)
            user.set_password(PASSWORD)
            db.session.add_all([org, user])
            db.session.flush()
            people[side].append(user.email)
            if side == "holder":
                holder_orgs.append(org.id)
        db.session.commit()
        if SHARED_PATENTS.exists():
            records = load_real_patents(patents)
        else:  # a checkout without the shared data: titles enough to search
            records = [{"title": f"一种{q}相关的装置{n}", "abstract": f"本发明涉及{q}。", "app_date": "2022-01-01"}
                       for n in range(patents) for q in [QUERIES[n % len(QUERIES)]]]
        bulk_publish(records, holder_orgs, rng)
        reindex()
        listing_ids = list(db.session.scalars(db.text("SELECT id FROM listing ORDER BY id")))
        db.session.remove()
    return people, listing_ids


class Person(threading.Thread):
    """One signed-in user firing requests back to back while the shared budget lasts."""

    budget_lock = threading.Lock()
    budget = 0

    def __init__(self, port: int, email: str, side: str, listing_ids: list[int], seed: int, results: list):
        super().__init__()
        self.browser = Browser(port)
        self.email, self.side, self.listing_ids = email, side, listing_ids
        self.rng = random.Random(seed)
        self.results = results
        self.threads: list[int] = []
        self.saved = 0

    @classmethod
    def take(cls) -> bool:
        with cls.budget_lock:
            if cls.budget <= 0:
                return False
            cls.budget -= 1
            return True

    def call(self, kind: str, method: str, path: str, data: dict | None = None) -> tuple[int, str]:
        started = time.monotonic()
        try:
            status, text = self.browser.get(path) if method == "GET" else self.browser.post(path, data)
        except OSError as error:
            status, text = 599, repr(error)
        self.results.append((kind, method, status, time.monotonic() - started))
        return status, text

    def run(self) -> None:
        try:
            self.act()
        except Exception as error:  # noqa: BLE001 - counted as a failed request, and shown
            self.results.append(("crash", "?", 598, 0.0))
            print(f"{self.email}: {error!r}", file=sys.stderr)

    def act(self) -> None:
        self.browser.sign_in(self.email, PASSWORD)
        actions = self.enterprise_actions() if self.side == "enterprise" else self.holder_actions()
        names, weights = zip(*actions, strict=True)
        while self.take():
            self.rng.choices(names, weights)[0]()

    # --- what people do ------------------------------------------------------------------

    def enterprise_actions(self):
        return [(self.home, 8), (self.search, 15), (self.listing, 15), (self.inquire, 10), (self.reply, 8),
                (self.read_thread, 6), (self.save_search, 5), (self.propose, 10), (self.deal_step, 12),
                (self.deals, 5), (self.notifications, 3), (self.read_all, 3)]

    def holder_actions(self):
        return [(self.home, 8), (self.search, 8), (self.deals, 10), (self.deal_step, 30), (self.inbox_reply, 15),
                (self.read_thread, 8), (self.notifications, 6), (self.read_all, 5), (self.save_search, 4)]

    def home(self):
        self.call("page", "GET", "/")

    def search(self):
        self.call("page", "GET", f"/search?q={quote(self.rng.choice(QUERIES))}")

    def listing(self):
        self.call("page", "GET", f"/listings/{self.rng.choice(self.listing_ids)}")

    def deals(self):
        self.call("page", "GET", "/deals")

    def notifications(self):
        self.call("page", "GET", "/notifications/")

    def read_all(self):
        self.call("write", "POST", "/notifications/read")

    def save_search(self):
        if self.saved >= 5:
            return self.search()
        self.saved += 1
        self.call("write", "POST", "/search/saved", {"q": self.rng.choice(QUERIES)})

    def inquire(self):
        listing_id = self.rng.choice(self.listing_ids)
        status, _text = self.call("write", "POST", f"/listings/{listing_id}/inquire",
                                  {"body": "您好，请问该专利是否可以提供技术资料和样品？"})
        if status in (302, 303):
            self.threads.append(listing_id)

    def reply(self):
        self.read_thread(reply=True)

    def inbox_reply(self):
        self.read_thread(reply=True)

    def read_thread(self, reply: bool = False):
        status, text = self.call("page", "GET", "/inquiries")
        ids = re.findall(r'href="/inquiries/(\d+)"', text)
        if not ids:
            return
        thread_id = self.rng.choice(ids)
        if reply:
            self.call("write", "POST", f"/inquiries/{thread_id}", {"body": "收到，谢谢。我们内部讨论后回复。"})
        else:
            self.call("write", "GET", f"/inquiries/{thread_id}")  # marks the thread read

    def propose(self):
        listing_id = self.rng.choice(self.listing_ids)
        status, text = self.call("page", "GET", f"/listings/{listing_id}/propose")
        if status != 200:
            return
        self.call("write", "POST", f"/listings/{listing_id}/propose",
                  {"amount": str(self.rng.choice([100000, 300000, 500000])), "terms": "一次性支付"})

    def deal_step(self):
        status, text = self.call("page", "GET", "/deals")
        ids = DEAL_LINK.findall(text)
        if not ids:
            return
        deal_id = self.rng.choice(ids)
        status, page = self.call("page", "GET", f"/deals/{deal_id}")
        steps = [target for _id, target in STEP_FORM.findall(page) if target not in ("rejected", "cancelled")]
        seen = SEEN.search(page)
        if not steps or not seen:
            return
        target = self.rng.choice(steps)
        data = {"seen": seen.group(1)}
        if target == "negotiating":
            data.update({"negotiating-amount": str(self.rng.choice([200000, 400000, 600000])),
                         "negotiating-terms": "分两期支付"})
        self.call("write", "POST", f"/deals/{deal_id}/steps/{target}", data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=5122)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--requests", type=int, default=1200)
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--patents", type=int, default=400)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="mp-load-"))
    people, listing_ids = set_up(workdir, args.users, args.patents)
    env = {"DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}", "SECRET_KEY": "bench-load",
           "MARKETPLACE_ENV": "development", "INSTANCE_DIR": str(workdir),
           "SEARCH_INDEX_DIR": str(workdir / "search_index"), "UPLOAD_DIR": str(workdir / "uploads")}
    results: list[tuple[str, str, int, float]] = []
    Person.budget = args.requests
    with LiveServer(args.port, env, workdir / "server.log", workers=2, threads=args.threads) as server:
        crowd = [Person(args.port, email, side, listing_ids, seed, results)
                 for seed, (side, email) in enumerate((side, email) for side in people for email in people[side])]
        started = time.monotonic()
        for person in crowd:
            person.start()
        for person in crowd:
            person.join()
        elapsed = time.monotonic() - started
        log = server.log_text()

    classes = Counter(f"{status // 100}xx" for _kind, _method, status, _t in results)
    writes = sum(1 for kind, *_ in results if kind == "write")
    errors = sum(1 for *_, status, _t in results if status >= 500)
    locked = log.lower().count("database is locked")
    times = sorted(t for *_, t in results)
    print(f"gunicorn 2 workers × {args.threads} threads, SQLite (WAL), {len(crowd)} people at once")
    print(f"requests {len(results)} ({writes} writes) in {elapsed:.1f} s, {len(results) / elapsed:.0f}/s; "
          f"median {statistics.median(times) * 1000:.0f} ms, p95 {times[int(len(times) * 0.95)] * 1000:.0f} ms")
    print("answers " + ", ".join(f"{name} {count}" for name, count in sorted(classes.items())))
    print(f"5xx {errors}; \"database is locked\" in the server log {locked}")
    return 1 if errors or locked else 0


if __name__ == "__main__":
    sys.exit(main())
