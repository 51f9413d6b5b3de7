"""The pledge-loan and insurance state machines (SPEC §4), as data."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from ..workflow import Machine, Step


class ReviewStatus(enum.StrEnum):
    submitted = "submitted"
    under_review = "under_review"
    info_requested = "info_requested"
    approved = "approved"
    registered = "registered"
    disbursed = "disbursed"
    repaid = "repaid"
    rejected = "rejected"
    withdrawn = "withdrawn"
    defaulted = "defaulted"

    @property
    def label(self) -> str:
        return str(REVIEW_STATUS_LABELS[self])

    @property
    def is_open(self) -> bool:
        """Still being decided: the bank may yet lend (another bank's pledge closes it)."""
        return self in OPEN_REVIEW_STATUSES

    @property
    def is_terminal(self) -> bool:
        return self.value in PLEDGE_MACHINE.terminal


REVIEW_STATUS_LABELS = {
    ReviewStatus.submitted: _l("已提交"), ReviewStatus.under_review: _l("审查中"),
    ReviewStatus.info_requested: _l("待补充材料"), ReviewStatus.approved: _l("已批准"),
    ReviewStatus.registered: _l("已办理质押登记"), ReviewStatus.disbursed: _l("已放款"),
    ReviewStatus.repaid: _l("已还款"), ReviewStatus.rejected: _l("已拒绝"),
    ReviewStatus.withdrawn: _l("已撤回"), ReviewStatus.defaulted: _l("已违约"),
}

OPEN_REVIEW_STATUSES = (ReviewStatus.submitted, ReviewStatus.under_review, ReviewStatus.info_requested,
                        ReviewStatus.approved)
# A pledge exists from registration until repayment (a default leaves it with the bank to enforce).
PLEDGED_STATUSES = (ReviewStatus.registered, ReviewStatus.disbursed, ReviewStatus.defaulted)

_WITHDRAWABLE = ("submitted", "under_review", "info_requested", "approved")
_REJECTABLE = ("submitted", "under_review", "info_requested")

PLEDGE_MACHINE = Machine(
    name="pledge",
    initial=ReviewStatus.submitted.value,
    terminal={"repaid", "rejected", "withdrawn", "defaulted"},
    steps=[
        Step("submitted", "under_review", "bank", _l("开始审查")),
        Step("under_review", "info_requested", "bank", _l("要求补充材料"), needs=("message",)),
        Step("info_requested", "under_review", "holder", _l("提交补充材料"), needs=("message",)),
        Step("under_review", "approved", "bank", _l("批准"),
             needs=("approved_amount", "rate", "term_months")),
        Step("approved", "registered", "bank", _l("登记质押"), needs=("registration_no", "registered_on")),
        Step("registered", "disbursed", "bank", _l("登记放款"), needs=("disbursed_amount", "disbursed_on")),
        Step("disbursed", "repaid", "bank", _l("确认已还款"), needs=("repaid_on",)),
        Step("disbursed", "defaulted", "bank", _l("登记违约"), needs=("reason",)),
        *[Step(s, "rejected", "bank", _l("拒绝"), needs=("reason",)) for s in _REJECTABLE],
        # The holder withdraws; the platform closes the other banks' reviews once one bank
        # has registered the pledge (the patents are no longer free to pledge).
        *[Step(s, "withdrawn", "holder|system", _l("撤回申请")) for s in _WITHDRAWABLE],
    ],
)


class PolicyStatus(enum.StrEnum):
    quoted = "quoted"
    issued = "issued"
    lapsed = "lapsed"

    @property
    def label(self) -> str:
        return str({"quoted": _l("已报价"), "issued": _l("已出单"), "lapsed": _l("已失效")}[self])


class PolicyType(enum.StrEnum):
    enforcement = "enforcement"
    infringement_loss = "infringement_loss"
    pledge_guarantee = "pledge_guarantee"
    open_licence = "open_licence"
    other = "other"

    @property
    def label(self) -> str:
        return str(POLICY_TYPE_LABELS[self])


POLICY_TYPE_LABELS = {
    PolicyType.enforcement: _l("专利执行保险"), PolicyType.infringement_loss: _l("专利被侵权损失保险"),
    PolicyType.pledge_guarantee: _l("质押融资保证保险"), PolicyType.open_licence: _l("开放许可交易保险"),
    PolicyType.other: _l("其他专利保险"),
}

INSURANCE_MACHINE = Machine(
    name="insurance",
    initial=PolicyStatus.quoted.value,
    terminal={"lapsed"},
    steps=[
        Step("quoted", "issued", "insurer", _l("出单"), needs=("policy_no", "issued_on")),
        # An unanswered quote is withdrawn by the insurer or lapses with its period; a policy is
        # ended by the insurer (SPEC §4) or lapses at its end date (`flask finance lapse-policies`).
        # Never by the insured or the operator: neither holds the "insurer" role.
        Step("quoted", "lapsed", "insurer|system", _l("撤销报价")),
        Step("issued", "lapsed", "insurer|system", _l("终止保单")),
    ],
)
