"""Patent insurance through the operations: quotes, issuing, lapsing, and the ledger."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from marketplace.dates import business_today as today
from marketplace.errors import DomainError, PermissionDenied
from marketplace.extensions import db
from marketplace.finance import insurance as ops
from marketplace.finance.machines import INSURANCE_MACHINE, PolicyStatus, PolicyType
from marketplace.finance.policies import InsurancePolicy, QuoteStatus
from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.operations import verify_chain
from marketplace.patents.models import LegalStatus
from marketplace.workflow import apply_transition

from .finance_helpers import ledger_count


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def insurer(make, ctx):
    return make.user(kind="insurer")


@pytest.fixture
def holder(make, ctx):
    return make.user(kind="enterprise", is_sme=True)


def policy_input(holder, patents, **values):
    data = dict(insured_org_id=holder.organization_id, patent_ids=[p.id for p in patents],
                policy_type=PolicyType.enforcement, premium="12000", coverage="1000000",
                starts_on=today(), ends_on=today() + timedelta(days=365))
    data.update(values)
    return ops.PolicyInput(**data)


def entries(policy):
    return db.session.scalars(db.select(LedgerEntry).where(LedgerEntry.subject_type == "insurance_policy",
                                                           LedgerEntry.subject_id == policy.id)
                              .order_by(LedgerEntry.seq)).all()


def test_an_issued_policy_writes_the_ledger_the_indicators_read(make, insurer, holder):
    patents = [make.patent(holder.organization), make.patent(holder.organization)]
    policy = ops.record_policy(insurer, policy_input(holder, patents, issue_now=True, policy_no="PA2025-001"))
    assert policy.status == PolicyStatus.issued and policy.issued_on == today()
    created, issued = entries(policy)
    assert (created.to_status, issued.from_status, issued.to_status) == ("quoted", "quoted", "issued")
    assert issued.deal_kind == "insurance" and issued.amount == Decimal("12000.00")
    assert issued.patent_ids == sorted(p.id for p in patents)
    assert issued.holder_org_id == holder.organization_id == issued.beneficiary_org_id
    assert issued.counterparty_org_id == insurer.organization_id and issued.beneficiary_is_sme
    assert issued.details["coverage"] == "1000000.00" and issued.details["policy_type"] == "enforcement"
    assert verify_chain().ok


@pytest.mark.parametrize("source, target", [(s.source, s.target) for s in INSURANCE_MACHINE.steps])
def test_every_transition_of_the_insurance_machine(make, insurer, holder, source, target):
    policy = ops.record_policy(insurer, policy_input(holder, [make.patent(holder.organization)],
                                                     issue_now=source == "issued", policy_no="P-1"))
    if target == "issued":
        ops.issue_policy(policy, insurer, policy_no="P-2")
    elif source == "quoted":
        ops.withdraw_quote(policy, insurer)
    else:
        policy.ends_on = today() - timedelta(days=1)
        policy.starts_on = today() - timedelta(days=30)
        assert ops.lapse_policies() == [policy]
    assert policy.status == PolicyStatus(target)
    assert (entries(policy)[-1].from_status, entries(policy)[-1].to_status) == (source, target)


@pytest.mark.parametrize("source, target", [(s.value, t.value) for s in PolicyStatus for t in PolicyStatus
                                            if INSURANCE_MACHINE.step(s.value, t.value) is None])
def test_steps_outside_the_insurance_table_are_refused(make, insurer, holder, source, target):
    policy = ops.record_policy(insurer, policy_input(holder, [make.patent(holder.organization)],
                                                     issue_now=source != "quoted", policy_no="P-9"))
    if source == "lapsed":
        apply_transition(policy, "lapsed", None, data={"lapsed_on": today()})
    count = ledger_count()
    with pytest.raises(DomainError):
        apply_transition(policy, target, insurer, data={"policy_no": "P-10", "issued_on": today()})
    assert policy.status == PolicyStatus(source) and ledger_count() == count


def test_only_the_insurer_issues_and_the_insured_cannot_lapse(make, insurer, holder):
    policy = ops.record_policy(insurer, policy_input(holder, [make.patent(holder.organization)]))
    for actor in (holder, make.user(kind="insurer")):
        with pytest.raises(PermissionDenied):
            ops.issue_policy(policy, actor, policy_no="X-1")
    assert policy.status == PolicyStatus.quoted


@pytest.mark.parametrize("case", ["lapsed", "expired", "invalidated", "not_owned", "not_insurer", "no_premium",
                                  "period", "other_unnamed", "number_taken", "no_number"])
def test_policy_refusals_write_nothing(make, insurer, holder, case):
    patent = make.patent(holder.organization)
    user, values = insurer, {"issue_now": True, "policy_no": "PA-1"}
    if case == "lapsed":
        patent = make.patent(holder.organization, legal_status=LegalStatus.lapsed)
    elif case == "expired":
        patent = make.patent(holder.organization, app_date=date(2004, 1, 5), grant_date=date(2006, 1, 1))
    elif case == "invalidated":
        patent = make.patent(holder.organization, legal_status=LegalStatus.invalidated)
    elif case == "not_owned":
        patent = make.patent(make.org())
    elif case == "not_insurer":
        user = make.user(kind="bank")
    elif case == "no_premium":
        values["premium"] = ""
    elif case == "period":
        values["ends_on"] = today() - timedelta(days=3)
    elif case == "other_unnamed":
        values["policy_type"] = PolicyType.other
    elif case == "number_taken":
        ops.record_policy(insurer, policy_input(holder, [make.patent(holder.organization)], issue_now=True,
                                                policy_no="PA-1"))
    elif case == "no_number":
        values["policy_no"] = " "
    count, policies = ledger_count(), db.session.scalar(db.select(db.func.count(InsurancePolicy.id)))
    with pytest.raises(DomainError):
        ops.record_policy(user, policy_input(holder, [patent], **values))
    assert ledger_count() == count
    assert db.session.scalar(db.select(db.func.count(InsurancePolicy.id))) == policies


def test_policy_numbers_are_unique_per_insurer_only(make, insurer, holder):
    other = make.user(kind="insurer")
    ops.record_policy(insurer, policy_input(holder, [make.patent(holder.organization)], issue_now=True, policy_no="N-1"))
    ops.record_policy(other, policy_input(holder, [make.patent(holder.organization)], issue_now=True, policy_no="N-1"))
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(InsurancePolicy(insurer_org_id=insurer.organization_id, insured_org_id=holder.organization_id,
                                       policy_type=PolicyType.enforcement, policy_no="N-1", premium=1, coverage=1,
                                       starts_on=today(), ends_on=today() + timedelta(days=1),
                                       status=PolicyStatus.issued, issued_on=today()))
        db.session.flush()


def test_lapse_policies_is_safe_to_run_daily(make, insurer, holder, runner):
    policy = ops.record_policy(insurer, policy_input(
        holder, [make.patent(holder.organization)], issue_now=True, policy_no="L-1",
        starts_on=today() - timedelta(days=400), ends_on=today() - timedelta(days=35)),
        on=today() - timedelta(days=400))
    current = ops.record_policy(insurer, policy_input(holder, [make.patent(holder.organization)], issue_now=True,
                                                      policy_no="L-2"))
    db.session.commit()
    result = runner.invoke(args=["finance", "lapse-policies"])
    assert result.exit_code == 0 and "1 policy(ies) lapsed" in result.output
    assert runner.invoke(args=["finance", "lapse-policies"]).output.startswith("0 policy")
    db.session.refresh(policy)
    db.session.refresh(current)
    assert policy.status == PolicyStatus.lapsed and current.status == PolicyStatus.issued
    lapse = entries(policy)[-1]
    assert lapse.to_status == "lapsed" and lapse.occurred_on == policy.ends_on + timedelta(days=1)


def test_a_holder_asks_for_a_quote_and_the_insurer_answers_with_a_quoted_policy(make, insurer, holder):
    patent = make.patent(holder.organization)
    quote = ops.request_quote(holder, insurer_id=insurer.organization_id, patent_ids=[patent.id],
                              policy_type=PolicyType.infringement_loss, coverage_wanted="2000000", message="请报价")
    policy = ops.record_policy(insurer, policy_input(make.user(kind="enterprise"), [patent],
                                                     quote_request_id=quote.id))
    assert policy.insured_org_id == holder.organization_id and policy.status == PolicyStatus.quoted
    assert quote.status == QuoteStatus.answered and quote.policy is policy
    with pytest.raises(DomainError):
        ops.record_policy(insurer, policy_input(holder, [patent], quote_request_id=quote.id))
    with pytest.raises(DomainError):  # a lapsed patent cannot be quoted either
        ops.request_quote(holder, insurer_id=insurer.organization_id, policy_type=PolicyType.enforcement,
                          patent_ids=[make.patent(holder.organization, legal_status=LegalStatus.lapsed).id])


def test_lapse_policies_runs_with_the_production_configuration(make, insurer, holder, production_cli):
    """Outside any request, no SERVER_NAME: the policy lapses and both sides get a mail whose
    link is absolute on SITE_URL."""
    policy = ops.record_policy(insurer, policy_input(
        holder, [make.patent(holder.organization)], issue_now=True, policy_no="P-1",
        starts_on=today() - timedelta(days=400), ends_on=today() - timedelta(days=2)),
        on=today() - timedelta(days=400))
    db.session.commit()
    result = production_cli.invoke(args=["finance", "lapse-policies"])
    assert result.exit_code == 0, result.output
    assert "1 policy(ies) lapsed" in result.output
    db.session.refresh(policy)
    assert policy.status == PolicyStatus.lapsed
    flushed = production_cli.invoke(args=["mail", "flush"])
    assert flushed.exit_code == 0 and " 0 failed" in flushed.output, flushed.output
    insured = {user.email for user in holder.organization.users}
    bodies = [m.get_content() for m in production_cli.inbox.messages if m["To"] in insured]
    assert any(f"https://ip.example.cn/finance/insurance/policies/{policy.id}" in body for body in bodies), bodies
