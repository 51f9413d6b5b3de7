"""State machines as data, and the one function that applies a transition.

Deals, pledge reviews and insurance policies each declare a `Machine`: a table of allowed
steps (from, to, who may take it, what data it needs). `apply_transition` checks the step
and the actor, changes the status, lets the subject react (`on_enter`), appends the ledger
entry and notifies the other side — in the caller's transaction.

Concurrency: a transition first takes the ledger head (every transaction that writes the ledger
takes its locks in one order: head, subject, related rows, so two steps never deadlock), then
claims the subject with a compare-and-set on its `version`. A request that read the subject
before another one moved it finds the version changed and gets a Conflict (409): any number of
simultaneous identical clicks make one transition, one ledger entry and one notification, on
PostgreSQL (the UPDATE waits for the row lock, then sees the new version) and on SQLite alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask import g, has_request_context, request
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select, update
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

from .errors import Conflict, DomainError, PermissionDenied
from .extensions import db
from .ledger import operations as ledger

# The actor of a step the platform takes by itself (`flask finance lapse-policies`, side effects
# of another step): no user. Only steps whose `by` includes SYSTEM accept it.
PLATFORM = None
SYSTEM = "system"


@dataclass(frozen=True)
class Step:
    source: str
    target: str
    # A role the subject grants (holder, counterparty, offeree, bank, insurer, either, system), or
    # several joined by "|": "holder|system" lets the holder take the step and the platform too.
    by: str
    label: object  # lazy-translated verb shown on the button
    needs: tuple[str, ...] = ()  # keys that must be present in `data`

    def allows(self, roles: set[str]) -> bool:
        return _allowed(self, roles)


@dataclass
class Machine:
    name: str
    steps: list[Step]
    initial: str
    terminal: set[str] = field(default_factory=set)

    def step(self, source: str, target: str) -> Step | None:
        for step in self.steps:
            if step.source == source and step.target == target:
                return step
        return None

    def steps_from(self, source: str) -> list[Step]:
        return [s for s in self.steps if s.source == source]


class Workflowed:
    """What a subject of a machine provides. Subclasses are SQLAlchemy models."""

    ledger_subject_type: str = ""
    # Bumped by every transition: the compare-and-set that makes concurrent steps take turns.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    @property
    def machine(self) -> Machine:  # pragma: no cover - abstract
        raise NotImplementedError

    def roles_of(self, user) -> set[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def ledger_context(self) -> dict:  # pragma: no cover - abstract
        """deal_kind, holder_org, counterparty_org, beneficiary_org, patent_ids, amount."""
        raise NotImplementedError

    def on_enter(self, status: str, actor, data: dict) -> None:
        """React to entering `status` (timestamps, encumbrances, ownership); may raise DomainError."""

    def notify_parties(self, step: Step, actor) -> None:
        """Tell the other side; subjects override."""

    def available_steps(self, user) -> list[Step]:
        roles = self.roles_of(user)
        return [s for s in self.machine.steps_from(self.status_value) if _allowed(s, roles)]

    @property
    def status_value(self) -> str:
        return getattr(self.status, "value", self.status)


def _step_roles(step: Step) -> set[str]:
    roles = set(step.by.split("|"))
    if "either" in roles:
        roles |= {"holder", "counterparty"}
    return roles


def _allowed(step: Step, roles: set[str]) -> bool:
    return bool((_step_roles(step) - {SYSTEM}) & roles)


def apply_transition(subject: Workflowed, target: str, actor, *, data: dict | None = None,
                     amount: Decimal | None = None, occurred_on: date | None = None,
                     status_enum: Callable | None = None):
    """Move `subject` to `target` if its machine allows `actor` to; write the ledger entry."""
    data = dict(data or {})
    ledger.lock_head()
    claim(subject)
    source = subject.status_value
    step = check_transition(subject, target, actor)
    for key in step.needs:
        if data.get(key) in (None, ""):
            raise DomainError(_("缺少必填信息。"), field=key)
    enum_cls = status_enum or type(subject.status)
    subject.status = enum_cls(target)
    subject.on_enter(target, actor, data)
    context = subject.ledger_context()
    entry = ledger.append(
        event="transition", subject_type=subject.ledger_subject_type, subject_id=subject.id,
        from_status=source, to_status=target, amount=amount if amount is not None else context.get("amount"),
        actor=actor, occurred_on=occurred_on, details={k: v for k, v in data.items() if v not in (None, "")},
        **{k: v for k, v in context.items() if k != "amount"},
    )
    subject.notify_parties(step, actor)
    return entry


def claim(subject) -> None:
    """Hold `subject`'s row for this transaction, or refuse if it changed since it was read:
    `UPDATE … SET version = version + 1 WHERE id = :id AND version = :read`. The row stays
    locked until the transaction ends, so the status the caller checks next is the current one.
    When the page the user acted on posted the version it showed (`seen_field`), that version
    is the one compared: a click on a page the other side has moved since is refused too."""
    db.session.flush()  # a subject created in this transaction needs its row first
    table = type(subject).__table__
    read = subject.version
    expected = _seen_on_page(subject)
    expected = read if expected is None else expected
    moved = db.session.execute(
        update(table).where(table.c.id == subject.id, table.c.version == expected)
        .values(version=table.c.version + 1)
    ).rowcount
    if moved != 1:
        _refuse_as_moved(subject)
    set_committed_value(subject, "version", expected + 1)


def move_status(subject, allowed, target) -> None:
    """For a status kept outside the machines (an organisation's review, a quote request, a
    demand): set it only if it is still one of `allowed`, in one `UPDATE … WHERE status IN (…)`,
    so that two simultaneous requests cannot both take the step (and both tell someone)."""
    db.session.flush()
    table = type(subject).__table__
    moved = db.session.execute(
        update(table).where(table.c.id == subject.id, table.c.status.in_(list(allowed))).values(status=target)
    ).rowcount
    if moved != 1:
        _refuse_as_moved(subject)
    set_committed_value(subject, "status", target)


def _refuse_as_moved(subject):
    table = type(subject).__table__
    status = db.session.execute(select(table.c.status).where(table.c.id == subject.id)).scalar()
    raise Conflict(_("该事项刚刚已被其他操作更新（当前状态：%(status)s），本次操作未执行。请刷新页面查看最新情况。",
                     status=_label(subject, getattr(status, "value", status))))


SEEN_FIELD = "seen"


def _seen_key(subject) -> str:
    return f"{type(subject).__table__.name}:{subject.id}"


def seen_field(subject) -> Markup:
    """The hidden input a step's form carries: which subject, at which version, the page showed."""
    return Markup('<input type="hidden" name="{}" value="{}:{}">').format(SEEN_FIELD, _seen_key(subject),
                                                                          subject.version)


def _seen_on_page(subject) -> int | None:
    """The version the posted form showed for this subject, once per request (a second step on
    the same subject in one request compares with what the first left)."""
    if not has_request_context() or request.method != "POST":
        return None
    key = _seen_key(subject)
    used = g.setdefault("workflow_seen_used", set())
    if key in used:
        return None
    for value in request.form.getlist(SEEN_FIELD):
        name, _sep, version = value.rpartition(":")
        if name == key and version.isdigit():
            used.add(key)
            return int(version)
    return None


def check_transition(subject: Workflowed, target: str, actor) -> Step:
    """The step from the current status to `target`, if `actor` may take it; else a clear refusal.
    Operations call it before validating their own data, so a wrong state is named first."""
    from .accounts.operations import ensure_can_act

    source = subject.status_value
    step = subject.machine.step(source, target)
    if step is None:
        raise DomainError(_("当前状态下不能执行此操作（%(source)s → %(target)s）。",
                            source=_label(subject, source), target=_label(subject, target)))
    if actor is PLATFORM:
        # The platform itself (a scheduled job, or a consequence of another step such as closing
        # the other banks' reviews once one bank registers the pledge) takes only "system" steps.
        if SYSTEM not in _step_roles(step):
            raise PermissionDenied(_("此步骤须由当事方执行。"))
        return step
    # A signed-in user takes a step only when the subject grants one of the step's roles; "system"
    # is never such a role, so a step marked system alone is out of reach of every route.
    if not actor.is_authenticated:
        raise PermissionDenied(_("请先登录。"))
    if not (_step_roles(step) - {SYSTEM}) & subject.roles_of(actor):
        raise PermissionDenied(_("您不是可以执行此步骤的一方。"))
    ensure_can_act(actor)
    return step


def record_creation(subject: Workflowed, actor, *, amount: Decimal | None = None, data: dict | None = None,
                    occurred_on: date | None = None):
    """The ledger entry for a subject that has just been created in its initial status."""
    context = subject.ledger_context()
    return ledger.append(
        event="created", subject_type=subject.ledger_subject_type, subject_id=subject.id,
        from_status=None, to_status=subject.status_value,
        amount=amount if amount is not None else context.get("amount"), actor=actor, occurred_on=occurred_on,
        details={k: v for k, v in (data or {}).items() if v not in (None, "")},
        **{k: v for k, v in context.items() if k != "amount"},
    )


def _label(subject, status: str) -> str:
    try:
        return str(type(subject.status)(status).label)
    except (ValueError, AttributeError):
        return status
