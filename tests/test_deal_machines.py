"""Every transition of every deal kind, driven from the machines' own tables: each allowed step
succeeds for the side that may take it and writes one ledger entry; every other side, and every
(from, to) pair the table does not list, is refused and writes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import product

import pytest

from marketplace.accounts.models import OrgStatus
from marketplace.deals import operations as ops
from marketplace.deals.models import NEGOTIATED_MACHINE, OPEN_LICENCE_MACHINE, Deal, DealOffer
from marketplace.errors import DomainError, NotVerified, PermissionDenied
from marketplace.extensions import db
from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.operations import verify_chain
from marketplace.listings.models import ListingKind
from marketplace.workflow import apply_transition

MACHINES = {"open_licence": OPEN_LICENCE_MACHINE, "negotiated": NEGOTIATED_MACHINE}
NEGOTIATED_KINDS = ["licence", "transfer", "equity"]


def statuses(machine) -> list[str]:
    found = [machine.initial]
    for step in machine.steps:
        for status in (step.source, step.target):
            if status not in found:
                found.append(status)
    return found


def counts() -> tuple[int, int, int]:
    def n(model):
        return db.session.scalar(db.select(db.func.count()).select_from(model))

    return n(Deal), n(DealOffer), n(LedgerEntry)


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


class Parties:
    def __init__(self, make):
        self.make = make
        self.holder = make.user(kind="university")
        self.counterparty = make.user(kind="enterprise", is_sme=True)
        self.stranger = make.user(kind="enterprise")
        self.operator = make.user(operator=True)

    def listing(self, kind: str):
        extra = {"licence_type": "exclusive"} if kind == "licence" else {}
        return self.make.listing(self.holder, kind=ListingKind(kind), **extra)

    def reach(self, machine: str, status: str, kind: str = "transfer") -> Deal:
        """A deal in `status`, reached through the operations."""
        h, c = self.holder, self.counterparty
        if machine == "open_licence":
            deal = ops.accept_open_licence(self.listing("open_licence"), c, "书面通知")
            if status in ("paid", "recorded"):
                ops.record_payment(deal, h, paid_on=date.today())
            if status == "recorded":
                ops.record_recordation(deal, c, "2026990000001")
            if status == "cancelled":
                ops.cancel(deal, c)
        else:
            deal = ops.propose_deal(self.listing(kind), c, amount="500000", terms="首版")
            if status == "negotiating":
                ops.counter_offer(deal, h, amount="650000")
            if status in ("agreed", "completed"):
                ops.agree(deal, h)
            if status == "completed":
                ops.complete(deal, h)
            if status == "rejected":
                ops.reject(deal, h)
            if status == "cancelled":
                ops.cancel(deal, c)
        db.session.commit()
        assert deal.status.value == status
        return deal

    def offeree(self, deal: Deal) -> str:
        return "holder" if deal.latest_offer.by_org_id == deal.counterparty_org_id else "counterparty"


@pytest.fixture
def parties(make, ctx):
    return Parties(make)


def take(deal: Deal, target: str, user):
    """The operation behind each target status, with the data it needs."""
    return {
        "paid": lambda: ops.record_payment(deal, user, paid_on=date.today(), amount_paid="100"),
        "recorded": lambda: ops.record_recordation(deal, user, "2026990000002"),
        "negotiating": lambda: ops.counter_offer(deal, user, amount="612345.60", terms="还价"),
        "agreed": lambda: ops.agree(deal, user),
        "completed": lambda: ops.complete(deal, user),
        "rejected": lambda: ops.reject(deal, user, "不合适"),
        "cancelled": lambda: ops.cancel(deal, user, "撤回"),
    }[target]()


ALLOWED_STEPS = [
    pytest.param("open_licence", step, "open_licence", id=f"open_licence:{step.source}->{step.target}")
    for step in OPEN_LICENCE_MACHINE.steps
] + [
    pytest.param("negotiated", step, kind, id=f"{kind}:{step.source}->{step.target}")
    for step in NEGOTIATED_MACHINE.steps for kind in NEGOTIATED_KINDS
]


def expected_sides(parties, deal, step) -> set[str]:
    if step.by == "either":
        return {"holder", "counterparty"}
    if step.by == "offeree":
        return {parties.offeree(deal)}
    return {step.by}


@pytest.mark.parametrize(("machine", "step", "kind"), ALLOWED_STEPS)
def test_each_allowed_step_succeeds_for_each_side_that_may_take_it(parties, machine, step, kind):
    deal = parties.reach(machine, step.source, kind)
    for side in sorted(expected_sides(parties, deal, step)):
        deal = parties.reach(machine, step.source, kind)
        before = counts()
        entry = take(deal, step.target, getattr(parties, side))
        db.session.commit()
        assert deal.status.value == step.target
        last = db.session.scalar(db.select(LedgerEntry).order_by(LedgerEntry.seq.desc()).limit(1))
        assert (last.subject_id, last.from_status, last.to_status) == (deal.id, step.source, step.target)
        assert last.actor_org_id == getattr(parties, side).organization_id
        assert counts()[2] == before[2] + 1
        if entry is not None and hasattr(entry, "seq"):
            assert entry.seq == last.seq
    assert verify_chain().ok


ACTORS = ["holder", "counterparty", "stranger", "operator", "unverified"]


@pytest.mark.parametrize(("machine", "step", "actor"), [
    pytest.param(m, step, actor, id=f"{m}:{step.source}->{step.target}:{actor}")
    for m, machine in MACHINES.items() for step in machine.steps for actor in ACTORS
])
def test_who_may_take_each_step(parties, machine, step, actor):
    deal = parties.reach(machine, step.source)
    allowed = expected_sides(parties, deal, step)
    if actor == "unverified":  # the rightful side, but its organisation lost its verification
        user = getattr(parties, sorted(allowed)[0])
        user.organization.status = OrgStatus.pending
        db.session.commit()
        expected_error = NotVerified
    elif actor in allowed:
        take(deal, step.target, getattr(parties, actor))
        assert deal.status.value == step.target
        return
    else:
        user, expected_error = getattr(parties, actor), PermissionDenied
    before = counts()
    with pytest.raises(expected_error):
        take(deal, step.target, user)
    db.session.rollback()
    assert counts() == before
    assert db.session.get(Deal, deal.id).status.value == step.source


ILLEGAL_PAIRS = [
    pytest.param(m, source, target, id=f"{m}:{source}->{target}")
    for m, machine in MACHINES.items()
    for source, target in product(statuses(machine), repeat=2) if machine.step(source, target) is None
]


@pytest.mark.parametrize(("machine", "source", "target"), ILLEGAL_PAIRS)
def test_every_pair_not_in_the_table_is_refused_and_writes_nothing(parties, machine, source, target):
    deal = parties.reach(machine, source)
    data = {"paid_on": date.today(), "recordation_no": "X1", "reason": "x"}
    for user in (parties.holder, parties.counterparty):
        before = counts()
        with pytest.raises(DomainError, match="当前状态下不能执行此操作"):
            apply_transition(deal, target, user, data=data)
        db.session.rollback()
        assert counts() == before
        assert db.session.get(Deal, deal.id).status.value == source


def test_the_tables_cover_each_kind_and_end_in_terminal_states():
    for machine in MACHINES.values():
        reachable = statuses(machine)
        assert machine.terminal <= set(reachable)
        for status in machine.terminal:
            assert machine.steps_from(status) == []


# --- the ledger content of each event -------------------------------------------------------

def test_open_licence_ledger_entries_carry_kind_parties_sme_flag_amount_and_patents(make, ctx):
    holder = make.user(kind="university")
    sme = make.user(kind="enterprise", is_sme=True)
    patents = [make.patent(holder.organization), make.patent(holder.organization)]
    listing = make.listing(holder, patents, kind=ListingKind.open_licence, fee_amount=Decimal("80000"),
                           sme_discount=Decimal("25"))
    deal = ops.accept_open_licence(listing, sme, "通知")
    ops.record_payment(deal, holder, paid_on=date.today(), amount_paid="60000")
    ops.record_recordation(deal, holder, "2026990000777")
    entries = db.session.scalars(db.select(LedgerEntry).order_by(LedgerEntry.seq)).all()
    assert [(e.event, e.from_status, e.to_status) for e in entries] == [
        ("created", None, "accepted"), ("transition", "accepted", "paid"), ("transition", "paid", "recorded")]
    for entry in entries:
        assert entry.subject_type == "deal" and entry.subject_id == deal.id
        assert entry.deal_kind == "open_licence"
        assert entry.amount == Decimal("60000.00")  # 80,000 less the 25 % SME discount
        assert entry.holder_org_id == holder.organization_id
        assert entry.counterparty_org_id == entry.beneficiary_org_id == sme.organization_id
        assert entry.beneficiary_is_sme and entry.counterparty_is_sme
        assert entry.patent_ids == sorted(p.id for p in patents)
    assert [e.actor_org_id for e in entries] == [sme.organization_id, holder.organization_id, holder.organization_id]
    assert entries[0].details["sme_discount_applied"] is True
    assert entries[0].details["recordation_due"] == deal.recordation_due.isoformat()
    assert entries[1].details == {"paid_on": date.today().isoformat(), "amount_paid": "60000.00"}
    assert entries[2].details == {"recordation_no": "2026990000777"}


@pytest.mark.parametrize("kind", NEGOTIATED_KINDS)
def test_negotiated_ledger_entries_follow_the_amount_on_the_table(make, ctx, kind):
    holder = make.user(kind="institute")
    buyer = make.user(kind="enterprise", is_sme=False)
    extra = {"licence_type": "ordinary"} if kind == "licence" else {}
    listing = make.listing(holder, kind=ListingKind(kind), **extra)
    deal = ops.propose_deal(listing, buyer, amount="400000", royalty_rate="3", terms="v1")
    ops.counter_offer(deal, holder, amount="450000.50", royalty_rate="3")
    ops.agree(deal, buyer)
    ops.complete(deal, holder)
    entries = db.session.scalars(db.select(LedgerEntry).order_by(LedgerEntry.seq)).all()
    assert [(e.from_status, e.to_status, e.amount) for e in entries] == [
        (None, "proposed", Decimal("400000.00")), ("proposed", "negotiating", Decimal("450000.50")),
        ("negotiating", "agreed", Decimal("450000.50")), ("agreed", "completed", Decimal("450000.50"))]
    assert {e.deal_kind for e in entries} == {kind}
    assert [e.actor_org_id for e in entries] == [buyer.organization_id, holder.organization_id,
                                                 buyer.organization_id, holder.organization_id]
    assert all(e.beneficiary_org_id == buyer.organization_id and not e.beneficiary_is_sme for e in entries)
    assert all(e.patent_ids == [p.id for p in listing.patents] for e in entries)
    assert entries[1].details["offer_version"] == 2 and entries[2].details["offer_version"] == 2
    assert verify_chain().ok
