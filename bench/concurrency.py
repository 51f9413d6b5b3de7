"""Simultaneous identical steps against a live server on PostgreSQL.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/DBNAME \\
        .venv/bin/python bench/concurrency.py [--port 5121] [--clicks 20]

The database's schema is DROPPED and rebuilt from the migrations: give it a database of its own.
Subjects are set up with the app's own operations (a transfer to agree, one to complete, a pledge
loan to disburse, one to repay, and one negotiation to agree or cancel), then a gunicorn server
(2 workers × 16 threads) takes `--clicks` requests released together by a barrier for each case:
the same person clicking the same button in many tabs (agree-vs-cancel: half the buyer agreeing,
half the holder cancelling, each form carrying the version its page showed, as the page does).

One line per case: transitions made (requests that succeeded), ledger entries written, 5xx
answers. Every line should read 1, 1, 0; the notifications column says how many people were told
(one user per organisation here, so 1), and `final` is the subject's status afterwards."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from live import ROOT, Browser, LiveServer, all_at_once

sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402

from marketplace import create_app  # noqa: E402
from marketplace.config import normalise_database_url  # noqa: E402
from marketplace.extensions import db  # noqa: E402

PASSWORD = "Bench-Horse-42"


def fresh_app(url: str, workdir: Path):
    from flask_migrate import upgrade

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "ENV_NAME": "bench",
                      "INSTANCE_DIR": str(workdir), "SEARCH_INDEX_DIR": str(workdir / "search_index"),
                      "UPLOAD_DIR": str(workdir / "uploads"), "SITE_URL": "http://localhost"})
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade()
    return app


def set_up(app) -> dict:
    """The people and the five subjects, through the operations the site itself uses."""
    import random
    from datetime import date
    from decimal import Decimal

    from marketplace.accounts.models import Organization, OrgKind, OrgStatus, User
    from marketplace.deals import operations as deals
    from marketplace.demo.names import make_uscc
    from marketplace.finance import operations as finance
    from marketplace.listings.models import ListingKind
    from marketplace.listings.operations import ListingInput, create_listing, publish_listing
    from marketplace.patents.models import LegalStatus, Patent, PatentType
    from marketplace.patents.numbers import check_digit
    from marketplace.types import business_today

    rng = random.Random(20)
    serial = iter(range(1, 1000))

    def person(kind: OrgKind, name: str) -> User:
        org = Organization(name=name, kind=kind, uscc=make_uscc(rng), region="福建省福州市鼓楼区",
                           status=OrgStatus.verified)
        user = User(email=f"{kind.value}{next(serial)}@bench.example.cn", name=f"{name}经办人", organization=org)
        user.set_password(PASSWORD)
        db.session.add_all([org, user])
        db.session.flush()
        return user

    def patent(owner: User) -> Patent:
        body = f"20231{next(serial):07d}"
        item = Patent(owner_id=owner.organization_id, app_no=f"{body}.{check_digit(body)}",
                      title=f"一种锂电池正极材料的制备方法{body[-3:]}", abstract="本发明公开了一种正极材料。",
                      patent_type=PatentType.invention, ipc_codes=["H01M4/525"], app_date=date(2023, 3, 1),
                      grant_date=date(2024, 5, 1), legal_status=LegalStatus.granted,
                      applicants=owner.organization.name)
        db.session.add(item)
        db.session.flush()
        return item

    def negotiation() -> object:
        item = patent(holder)
        listing = create_listing(holder, ListingInput(kind=ListingKind.transfer, title=f"转让：{item.title}",
                                                      patent_ids=[item.id], asking_price=Decimal("800000")))
        publish_listing(listing, holder)
        deal = deals.propose_deal(listing, buyer, amount="500000")
        deals.counter_offer(deal, holder, amount="600000")
        return deal

    def pledge_loan(disbursed: bool):
        request = finance.submit_pledge_request(holder, finance.PledgeInput(
            patent_ids=[patent(holder).id], amount="5000000", term_months=12, purpose="研发投入",
            bank_ids=[bank.organization_id]), on=business_today() - timedelta(days=5))
        review = request.reviews[0]
        finance.start_review(review, bank)
        finance.approve(review, bank, amount="4000000", rate="4.35", term_months=12)
        finance.register_pledge(review, bank, registration_no=f"Y2025{next(serial):08d}",
                                registered_on=business_today() - timedelta(days=2))
        if disbursed:
            finance.disburse(review, bank, amount="4000000", disbursed_on=business_today() - timedelta(days=1))
        return review

    with app.app_context(), app.test_request_context():
        holder = person(OrgKind.university, "福州大学技术转移中心")
        buyer = person(OrgKind.enterprise, "福建新能电池有限公司")
        bank = person(OrgKind.bank, "兴业银行福州分行")
        to_agree, to_complete, to_race = negotiation(), negotiation(), negotiation()
        deals.agree(to_complete, buyer)
        to_disburse, to_repay = pledge_loan(False), pledge_loan(True)
        db.session.commit()
        subjects = {
            "people": {"holder": holder.email, "buyer": buyer.email, "bank": bank.email},
            "agree": ("deal", to_agree.id, "buyer", f"/deals/{to_agree.id}/steps/agreed", {}),
            "complete": ("deal", to_complete.id, "holder", f"/deals/{to_complete.id}/steps/completed", {}),
            "disburse": ("pledge_review", to_disburse.id, "bank", f"/finance/reviews/{to_disburse.id}/disburse",
                         {"disburse-amount": "4000000", "disburse-disbursed_on": business_today().isoformat()}),
            "repay": ("pledge_review", to_repay.id, "bank", f"/finance/reviews/{to_repay.id}/repay",
                      {"repay-repaid_on": business_today().isoformat()}),
            "race": ("deal", to_race.id, f"deal:{to_race.id}:{to_race.version}"),
        }
        db.session.remove()
    return subjects


def measure(app, subject_type: str, subject_id: int):
    from marketplace.deals.models import Deal
    from marketplace.finance.models import PledgeReview
    from marketplace.ledger.models import LedgerHead
    from marketplace.notify.models import Notification

    with app.app_context():
        head = db.session.get(LedgerHead, 1)
        notes = db.session.scalar(select(func.count()).select_from(Notification))
        model = Deal if subject_type == "deal" else PledgeReview
        status = db.session.get(model, subject_id).status.value
        db.session.remove()
    return head.last_seq, notes, status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=5121)
    parser.add_argument("--clicks", type=int, default=20)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql")):
        parser.error("set BENCH_DATABASE_URL to a PostgreSQL database of its own (its schema is rebuilt)")
    url = normalise_database_url(url)
    workdir = Path(tempfile.mkdtemp(prefix="mp-concurrency-"))
    app = fresh_app(url, workdir)
    subjects = set_up(app)
    env = {"DATABASE_URL": url, "SECRET_KEY": "bench-concurrency", "MARKETPLACE_ENV": "development",
           "INSTANCE_DIR": str(workdir), "SEARCH_INDEX_DIR": str(workdir / "search_index"),
           "UPLOAD_DIR": str(workdir / "uploads")}
    failed = False
    with LiveServer(args.port, env, workdir / "server.log", workers=2, threads=16) as server:
        people = {}
        for role, email in subjects["people"].items():
            people[role] = Browser(args.port)
            people[role].sign_in(email, PASSWORD)
        cases = []
        for case in ("agree", "complete", "disburse", "repay"):
            subject_type, subject_id, role, path, form = subjects[case]
            browser = people[role]
            calls = [lambda b=browser, p=path, f=form: b.post(p, f)] * args.clicks
            cases.append((case, subject_type, subject_id, calls))
        _type, race_id, seen = subjects["race"]
        half = args.clicks // 2
        calls = ([lambda: people["buyer"].post(f"/deals/{race_id}/steps/agreed", {"seen": seen})] * half
                 + [lambda: people["holder"].post(f"/deals/{race_id}/steps/cancelled",
                                                  {"seen": seen, "cancelled-reason": "改变计划"})] * (args.clicks - half))
        cases.append(("agree-vs-cancel", "deal", race_id, calls))

        print(f"{args.clicks} simultaneous requests per case, gunicorn 2 workers × 16 threads, PostgreSQL")
        for case, subject_type, subject_id, calls in cases:
            seq, notes, _status = measure(app, subject_type, subject_id)
            answers = all_at_once(calls)
            after_seq, after_notes, status = measure(app, subject_type, subject_id)
            made = sum(1 for code, _ in answers if code in (200, 302, 303))
            errors = sum(1 for code, _ in answers if code >= 500)
            conflicts = sum(1 for code, _ in answers if code == 409)
            print(f"{case:16} transitions {made}  ledger entries {after_seq - seq}  5xx {errors}"
                  f"   (409: {conflicts}, notifications: {after_notes - notes}, final: {status})")
            failed |= (made, after_seq - seq, errors) != (1, 1, 0)
        log = server.log_text()
    with app.app_context():
        from marketplace.ledger.operations import verify_chain

        result = verify_chain()
        db.session.remove()
    print(f"ledger chain: {'verified' if result.ok else 'BROKEN: ' + result.problem} ({result.checked} entries); "
          f"tracebacks in the server log: {log.count('Traceback')}")
    return 1 if failed or not result.ok else 0


if __name__ == "__main__":
    sys.exit(main())
