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
    def is_pending(self) -> bool:
        """Not lent yet: the holder may withdraw, another bank's registered pledge closes it."""
        return self.value in PLEDGE_MACHINE.group("pending")

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

# Before the bank decides: the bank's queue of "open" reviews and its dashboard count.
_UNDECIDED = ("submitted", "under_review", "info_requested")

PLEDGE_MACHINE = Machine(
    name="pledge",
    initial=ReviewStatus.submitted.value,
    endings={"rejected", "withdrawn", "defaulted"},
    conclusion="disbursed",  # a pledge loan counts once the money is lent
    steps=[
        Step("submitted", "under_review", "bank", _l("开始审查"), name="start",
             hint=_l("受理后可要求补充材料、批准或拒绝。")),
        Step("under_review", "approved", "bank", _l("批准"), name="approve",
             needs=("approved_amount", "rate", "term_months"), hint=_l("批准金额不超过申请金额；年利率 0–36%。")),
        Step("under_review", "info_requested", "bank", _l("要求补充材料"), name="request-info", needs=("message",)),
        Step("info_requested", "under_review", "holder", _l("提交补充材料"), name="answer", needs=("message",)),
        *[Step(s, "rejected", "bank", _l("拒绝"), name="reject", needs=("reason",)) for s in _UNDECIDED],
        Step("approved", "registered", "bank", _l("登记质押"), name="register",
             needs=("registration_no", "registered_on"),
             hint=_l("在国家知识产权局办理专利权质押登记后填写登记号；其他银行对本申请的审批将自动关闭。")),
        Step("registered", "disbursed", "bank", _l("登记放款"), name="disburse", needs=("disbursed_amount", "disbursed_on")),
        Step("disbursed", "repaid", "bank", _l("确认还款"), name="repay", needs=("repaid_on",),
             hint=_l("确认还清后质押解除。")),
        Step("disbursed", "defaulted", "bank", _l("登记违约"), name="default", needs=("reason",)),
        # The holder withdraws; the platform closes the other banks' reviews once one bank
        # has registered the pledge (the patents are no longer free to pledge).
        *[Step(s, "withdrawn", "holder|system", _l("撤回申请"), name="withdraw") for s in (*_UNDECIDED, "approved")],
    ],
    groups={
        "open": _UNDECIDED,  # the bank's queue of reviews to decide
        "lending": ("approved", "registered"),  # approved: to register, then to disburse
        "pending": (*_UNDECIDED, "approved"),  # not lent yet: the holder may withdraw
    },
)
# The groups a bank filters its queue by, with the name its dashboard gives each count.
REVIEW_QUEUE_GROUPS = {"open": _l("待审查的质押申请"), "lending": _l("待登记 / 待放款")}
# From approval on, the review carries the approved terms; from registration, the registration;
# from disbursement, the loan (a withdrawal ends a review before any of them).
APPROVED_STATES = PLEDGE_MACHINE.reachable("approved", avoiding={"withdrawn"})
REGISTERED_STATES = PLEDGE_MACHINE.reachable("registered")
DISBURSED_STATES = PLEDGE_MACHINE.reachable("disbursed")


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
    endings={"lapsed"},
    conclusion="issued",
    steps=[
        Step("quoted", "issued", "insurer", _l("出单"), name="issue", needs=("policy_no", "issued_on"),
             done=_l("保单已出单。")),
        # An unanswered quote is withdrawn by the insurer or lapses with its period; a policy is
        # ended by the insurer (SPEC §4) or lapses at its end date (`flask finance lapse-policies`).
        # Never by the insured or the operator: neither holds the "insurer" role.
        Step("quoted", "lapsed", "insurer|system", _l("撤销报价"), name="withdraw", done=_l("报价已撤销。")),
        Step("issued", "lapsed", "insurer|system", _l("终止保单"), name="withdraw", done=_l("保单已终止。")),
    ],
)
