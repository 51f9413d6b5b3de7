"""The cast of the stateful test: one signed-in test client per organisation kind (and an
anonymous visitor), and the web forms each action posts, field for field as the pages send them."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import timedelta

from flask.testing import FlaskClient

from marketplace.accounts.models import OrgKind, OrgRole
from marketplace.dates import business_today
from marketplace.patents.numbers import check_digit

from ..conftest import login
from .checks import MARKER, Viewer

HOLDERS = ("uni", "inst", "ent", "sme")
OTHERS = ("bank_a", "bank_b", "insurer", "agency", "operator", "anonymous")
ACTORS = HOLDERS + OTHERS

_numbers = itertools.count(1)


@dataclass
class Actor:
    name: str
    client: FlaskClient
    org_id: int | None
    kind: str | None
    org_name: str = ""
    operator: bool = False

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.name, self.org_id, self.kind, self.operator)


def build_cast(app, make) -> dict[str, Actor]:
    """Every kind of organisation SPEC §1 names, verified, with an admin user signed in."""
    orgs = {"uni": (OrgKind.university, False), "inst": (OrgKind.institute, False), "ent": (OrgKind.enterprise, False),
            "sme": (OrgKind.enterprise, True), "bank_a": (OrgKind.bank, False), "bank_b": (OrgKind.bank, False),
            "insurer": (OrgKind.insurer, False), "agency": (OrgKind.agency, False)}
    cast = {}
    for name, (kind, sme) in orgs.items():
        user = make.user(make.org(kind, is_sme=sme, name=f"不变量{name}机构"), role=OrgRole.admin)
        cast[name] = _signed_in(app, name, user)
    cast["operator"] = _signed_in(app, "operator", make.user(operator=True, role=OrgRole.admin))
    cast["anonymous"] = Actor("anonymous", app.test_client(), None, None)
    return cast


def _signed_in(app, name: str, user) -> Actor:
    client = app.test_client()
    login(client, user)
    return Actor(name, client, user.organization_id, user.organization.kind.value, user.organization.name,
                 user.is_operator)


def tagged(prefix: str) -> str:
    """A title part no other object has, after the marker every search of the test asks for."""
    return f"{MARKER} {prefix}{next(_numbers)}q"


def patent_form(owner: Actor) -> dict:
    n = next(_numbers)
    body = f"2022{1}{n:07d}"
    return {"app_no": f"{body}.{check_digit(body)}", "patent_type": "invention",
            "title": f"{tagged('p')} 一种数据处理方法", "abstract": "本发明公开了一种数据处理方法。",
            "ipc_codes": "G06F16/35", "applicants": owner.org_name, "app_date": "2023-03-01",
            "grant_date": "2024-05-01", "legal_status": "granted"}


def listing_form(kind: str, patent_id: int, licence_type: str = "ordinary") -> dict:
    term_end = (business_today() + timedelta(days=3 * 365)).isoformat()
    data = {"title": f"{tagged('l')} {kind}", "industry": "ai", "patent_ids": [str(patent_id)]}
    data.update({
        "open_licence": {"payment_method": "lump_sum", "fee_amount": "50000", "term_end": term_end},
        "licence": {"licence_type": licence_type, "asking_price": "200000", "term_end": term_end},
        "transfer": {"asking_price": "800000"},
        "equity": {"valuation": "3000000", "equity_share": "10"},
        "pledge": {"amount_wanted": "5000000", "term_months": "12", "purpose": "研发投入"},
    }[kind])
    return data


STEP_DATA = {
    "negotiating": lambda: {"negotiating-amount": "150000", "negotiating-terms": "还价"},
    "agreed": dict, "completed": dict,
    "rejected": lambda: {"rejected-reason": "不合适"}, "cancelled": lambda: {"cancelled-reason": "不再需要"},
    "paid": lambda: {"paid-paid_on": business_today().isoformat(), "paid-amount_paid": ""},
    "recorded": lambda: {"recorded-recordation_no": f"BA{next(_numbers)}"},
}

REVIEW_DATA = {
    "start": dict, "request-info": lambda: {"info-message": "请补充财务报表。"},
    "approve": lambda: {"approve-amount": "4000000", "approve-rate": "4.35", "approve-term_months": "12"},
    "reject": lambda: {"reject-reason": "材料不足。"},
    "register": lambda: {"register-registration_no": f"Y{next(_numbers)}",
                         "register-registered_on": business_today().isoformat()},
    "disburse": lambda: {"disburse-amount": "4000000", "disburse-disbursed_on": business_today().isoformat()},
    "repay": lambda: {"repay-repaid_on": business_today().isoformat()},
    "default": lambda: {"default-reason": "逾期未还。"},
}


def policy_form(insured_org_id: int, patent_number: str, issue_now: bool) -> dict:
    today = business_today()
    data = {"insured_org_id": str(insured_org_id), "patent_numbers": patent_number, "policy_type": "enforcement",
            "premium": "12000", "coverage": "1000000", "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=365)).isoformat(), "policy_no": f"PB{next(_numbers)}"}
    if issue_now:
        data["issue_now"] = "y"
    return data


def created_id(response, pattern: str) -> int | None:
    """The id in a success redirect's Location (…/listings/12), or None when the post was refused."""
    if response.status_code not in (302, 303):
        return None
    match = re.search(pattern, response.headers.get("Location", ""))
    return int(match.group(1)) if match else None
