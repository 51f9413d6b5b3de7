"""State machines as data, and the one function that applies a transition.

Deals, pledge reviews, insurance policies and listings each declare a `Machine`: a table of
allowed steps (from, to, who may take it, what data it needs). The machine is the one source
of its states: the status enum is checked against it, routes find a step by its name, pages
render the steps the user may take, named groups of states ("open") feed counts and filters,
and the database CHECK constraints are built from it (`states_sql`).

`apply_transition` checks the step and the actor, changes the status, lets the subject react
(`on_enter`), appends the ledger entry and notifies the other side — in the caller's
transaction.

Concurrency: a transition first takes the ledger head (every transaction that writes the ledger
takes its locks in one order: head, subject, related rows, so two steps never deadlock), then
claims the subject with a compare-and-set on its `version`. A request that read the subject
before another one moved it finds the version changed and gets a Conflict (409): any number of
simultaneous identical clicks make one transition, one ledger entry and one notification, on
PostgreSQL (the UPDATE waits for the row lock, then sees the new version) and on SQLite alike."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

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
    name: str = ""  # the verb in URLs, form prefixes and the operation registry; the target by default
    hint: object = ""  # one line of help shown with the step's form
    done: object = ""  # what the user is told once the step is taken; "已<label>。" by default
    verified: bool = True  # the actor's organisation must be verified (withdrawing a draft needs not be)

    def __post_init__(self):
        if not self.name:
            object.__setattr__(self, "name", self.target)

    def allows(self, roles: set[str]) -> bool:
        return _allowed(self, roles)

    @property
    def roles(self) -> set[str]:
        """The roles that may take it ("either" stands for holder and counterparty)."""
        return _step_roles(self)

    @property
    def done_message(self) -> str:
        return str(self.done) if self.done else _("已%(action)s。", action=self.label)

    @property
    def platform_only(self) -> bool:
        """Only the platform takes it (a scheduled job, a consequence of another step)."""
        return _step_roles(self) == {"system"}


@dataclass(eq=False)  # a machine is itself: compared and hashed by identity
class Machine:
    name: str
    steps: list[Step]
    initial: str
    # Terminal states in which the subject was refused or abandoned rather than concluded: their
    # buttons are drawn as a warning, and "who must move next" ignores steps into them.
    endings: frozenset[str] = frozenset()
    # Named sets of states, defined once and used by every count, filter and page ("open").
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The state in which the subject counts as concluded (the indicators count its ledger entry).
    conclusion: str = ""
    operations: dict[str, Callable] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.endings = frozenset(self.endings)
        self.groups = {key: tuple(states) for key, states in self.groups.items()}
        states = set(self.states)
        named = {s for group in self.groups.values() for s in group} | ({self.conclusion} if self.conclusion else set())
        unknown = (set(self.endings) | named) - states
        if unknown:
            raise ValueError(f"machine {self.name}: unknown states {sorted(unknown)}")
        seen = {}
        for step in self.steps:
            if seen.setdefault((step.source, step.name), step.target) != step.target:
                raise ValueError(f"machine {self.name}: two steps named {step.name!r} from {step.source!r}")

    @cached_property
    def states(self) -> tuple[str, ...]:
        """Every state, the initial one first, then in the order the steps name them."""
        order = [self.initial]
        for step in self.steps:
            for state in (step.source, step.target):
                if state not in order:
                    order.append(state)
        return tuple(order)

    @cached_property
    def terminal(self) -> frozenset[str]:
        """States no step leaves."""
        return frozenset(self.states) - {s.source for s in self.steps}

    @property
    def concluded_states(self) -> tuple[str, ...]:
        """The conclusion and every state after it that does not undo it."""
        return self.reachable(self.conclusion, avoiding=self.endings) if self.conclusion else ()

    def group(self, name: str) -> tuple[str, ...]:
        return self.groups[name]

    @property
    def open_states(self) -> tuple[str, ...]:
        return self.group("open")

    def step(self, source: str, target: str) -> Step | None:
        for step in self.steps:
            if step.source == source and step.target == target:
                return step
        return None

    def step_named(self, source: str, name: str) -> Step | None:
        return next((s for s in self.steps if s.source == source and s.name == name), None)

    def steps_from(self, source: str) -> list[Step]:
        return [s for s in self.steps if s.source == source]

    @property
    def step_names(self) -> tuple[str, ...]:
        """The names of the steps a person may take (not the platform's own), in table order."""
        return tuple(dict.fromkeys(s.name for s in self.steps if not s.platform_only))

    def any_step(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)

    def sources(self, target: str) -> tuple[str, ...]:
        """The states from which a step leads to `target`."""
        return tuple(dict.fromkeys(s.source for s in self.steps if s.target == target))

    def reachable(self, state: str, *, avoiding: Iterable[str] = ()) -> tuple[str, ...]:
        """`state` and every state reachable from it without passing through `avoiding`."""
        avoid = set(avoiding)
        found, todo = [state], [state]
        while todo:
            for step in self.steps_from(todo.pop()):
                if step.target not in found and step.target not in avoid:
                    found.append(step.target)
                    todo.append(step.target)
        return tuple(s for s in self.states if s in found)

    def operation(self, name: str):
        """Register the operation that takes the step `name` (routes call it by the step's name)."""
        if name not in {s.name for s in self.steps}:
            raise ValueError(f"machine {self.name}: no step named {name!r}")

        def register(function):
            self.operations[name] = function
            return function
        return register


def states_sql(column: str, states: Iterable[str], *, negate: bool = False) -> str:
    """`column IN ('a', 'b')` for a CHECK constraint built from a machine's states."""
    quoted = ", ".join(f"'{state}'" for state in states)
    return f"{column} {'NOT IN' if negate else 'IN'} ({quoted})"


class Workflowed:
    """What a subject of a machine provides. Subclasses are SQLAlchemy models."""

    ledger_subject_type: str = ""  # empty: the subject's transitions are not ledger events
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

    @property
    def status_tone(self) -> str:
        """How a page colours the status, read off the machine: "new" (its initial state),
        "moving", "done" (concluded for good) or "ended" (refused, abandoned, lapsed)."""
        status, machine = self.status_value, self.machine
        if status in machine.endings:
            return "ended"
        if status in machine.terminal:
            return "done"
        return "new" if status == machine.initial else "moving"


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
    if subject.ledger_subject_type:  # the ledger head first: the one lock order of ledger writers
        ledger.lock_head()
    if subject.id is not None:  # a subject not saved yet (the importer's batch) has no row to claim
        claim(subject)
    source = subject.status_value
    step = check_transition(subject, target, actor)
    for key in step.needs:
        if data.get(key) in (None, ""):
            raise DomainError(_("缺少必填信息。"), field=key)
    enum_cls = status_enum or type(subject.status)
    subject.status = enum_cls(target)
    subject.on_enter(target, actor, data)
    entry = None
    if subject.ledger_subject_type:  # listings change state without a ledger entry: they are not deals
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
    if step.verified:
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
