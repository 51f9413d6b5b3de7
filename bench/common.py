"""Shared by the benchmarks: a throw-away app (SQLite + index in a temporary directory) and bulk
loading of patents and published listings without the per-row operations (fast, same columns)."""

from __future__ import annotations

import json
import random
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHARED_PATENTS = ROOT.parent / "shared" / "data" / "patents.jsonl"

from sqlalchemy import insert  # noqa: E402

from marketplace import create_app  # noqa: E402
from marketplace.accounts.models import Organization, OrgKind, OrgStatus  # noqa: E402
from marketplace.demo.names import make_uscc  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.listings.models import (  # noqa: E402
    Industry,
    Listing,
    ListingKind,
    ListingPatent,
    ListingSlot,
    ListingStatus,
)
from marketplace.patents.models import LegalStatus, Patent, PatentType, expiry_date  # noqa: E402
from marketplace.patents.numbers import canonical_ipc_list, type_from_publication_number  # noqa: E402

SECTION_INDUSTRY = {"A": Industry.biomedicine, "B": Industry.high_end_equipment, "C": Industry.new_materials,
                    "D": Industry.new_materials, "E": Industry.other, "F": Industry.high_end_equipment,
                    "G": Industry.electronics, "H": Industry.new_energy}


def app_config(workdir: Path) -> dict:
    import os

    config = {
        "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.db'}",
        "SEARCH_INDEX_DIR": str(workdir / "search_index"), "INSTANCE_DIR": str(workdir), "ENV_NAME": "bench",
        "UPLOAD_DIR": str(workdir / "uploads"), "SITE_URL": "http://localhost",
    }
    if os.environ.get("EMBEDDING_CACHE_DIR"):  # vectors of texts embedded before (outside the repository)
        config["EMBEDDING_CACHE_DIR"] = os.environ["EMBEDDING_CACHE_DIR"]
    return config


def make_app(workdir: Path | None = None):
    """An app on a fresh SQLite database in a temporary directory, schema from the migrations."""
    from flask_migrate import upgrade

    workdir = workdir or Path(tempfile.mkdtemp(prefix="mp-bench-"))
    app = create_app(app_config(workdir))
    app.logger.disabled = True
    with app.app_context():
        upgrade()
    return app, workdir


def holders(count: int, rng: random.Random) -> list[int]:
    kinds = [OrgKind.university, OrgKind.institute, OrgKind.enterprise]
    ids = []
    for n in range(count):
        org = Organization(name=f"基准测试机构{n}", kind=kinds[n % 3], uscc=make_uscc(rng),
                           status=OrgStatus.verified)
        db.session.add(org)
        db.session.flush()
        ids.append(org.id)
    return ids


def load_real_patents(limit: int | None = None) -> list[dict]:
    rows = []
    with SHARED_PATENTS.open(encoding="utf-8") as handle:
        for line in handle:
            rows.append(json.loads(line))
            if limit and len(rows) >= limit:
                break
    return rows


def bulk_publish(records: list[dict], owner_ids: list[int], rng: random.Random, *, chunk: int = 2000) -> int:
    """Insert patents and one published transfer or licence listing per patent (Core inserts)."""
    now = datetime.now(UTC)
    done = 0
    for start in range(0, len(records), chunk):
        part = records[start:start + chunk]
        patent_rows = []
        for r in part:
            try:
                codes = canonical_ipc_list(r.get("ipc_all") or ([r["ipc"]] if r.get("ipc") else []))
            except Exception:  # noqa: BLE001 - a malformed code in the source: keep the patent without it
                codes = []
            kind = type_from_publication_number(r["pub_no"]) if r.get("pub_no") else "invention"
            patent_type = PatentType(kind or "invention")
            app_date = date.fromisoformat(r["app_date"]) if r.get("app_date") else date(2021, 1, 1) + timedelta(days=rng.randint(0, 900))
            patent_rows.append({
                "pub_no": r.get("pub_no"), "app_no": r.get("app_no") if r.get("app_no") and len(r["app_no"]) <= 20 else None,
                "patent_type": patent_type, "title": r["title"][:500], "abstract": r.get("abstract") or "",
                "first_claim": "", "ipc_codes": codes, "ipc_main": codes[0] if codes else None,
                "ipc_main_subclass": codes[0][:4] if codes else None, "applicants": r.get("applicant") or "",
                "inventors": r.get("inventors") or "", "app_date": app_date,
                "expires_on": expiry_date(patent_type, app_date), "legal_status": LegalStatus.granted,
                "is_pct": False, "evaluation_report_no": "", "province": "", "source": "",
                "owner_id": rng.choice(owner_ids), "created_at": now, "updated_at": now,
            })
        patent_ids = list(db.session.scalars(insert(Patent).returning(Patent.id, sort_by_parameter_order=True),
                                             patent_rows))
        listing_rows = []
        for row in patent_rows:
            kind = ListingKind.transfer if rng.random() < 0.6 else ListingKind.licence
            published = now - timedelta(minutes=rng.randint(0, 600000))
            price = Decimal(rng.choice([30000, 80000, 150000, 300000, 600000, 1200000, 3000000, 8000000]))
            industry = SECTION_INDUSTRY.get((row["ipc_main"] or "Z")[0], Industry.other)
            listing_rows.append({
                "owner_id": row["owner_id"], "kind": kind, "status": ListingStatus.published,
                "title": row["title"][:300], "description": "", "industry": industry,
                "licence_type": "ordinary" if kind == ListingKind.licence else None, "territory": "",
                "asking_price": price if rng.random() < 0.85 else None, "purpose": "",
                "created_at": published, "updated_at": published, "published_at": published,
            })
        listing_ids = list(db.session.scalars(insert(Listing).returning(Listing.id, sort_by_parameter_order=True),
                                              listing_rows))
        db.session.execute(insert(ListingPatent), [
            {"listing_id": lid, "patent_id": pid, "position": 0,
             "slot": ListingSlot.transfer if lrow["kind"] == ListingKind.transfer else None}
            for lid, pid, lrow in zip(listing_ids, patent_ids, listing_rows, strict=True)])
        db.session.commit()
        done += len(part)
    return done
