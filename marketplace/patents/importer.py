"""Bulk import of patents for a holder, optionally publishing one listing per patent.

Rows are validated one by one (`operations.clean`), written in batches inside a SAVEPOINT,
and a batch that the database refuses is replayed row by row, so a bad row is reported and
never stops the others nor leaves half of itself behind. Existing patents are found with one
query per batch; listings are published through the form's operations (`new_listing`,
`publish_listing`) and inserted with their patents' batch."""

from __future__ import annotations

import csv
import enum
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_
from sqlalchemy.exc import DBAPIError

from ..accounts.models import Organization, OrgStatus, User
from ..accounts.operations import ensure_can_act, ensure_holds_patents
from ..dates import add_years, business_today
from ..errors import DomainError, NotVerified
from ..extensions import db
from ..listings.industry import guess_industry
from ..listings.models import (
    LIVE_STATUSES,
    LicenceType,
    Listing,
    ListingKind,
    ListingPatent,
    PaymentMethod,
)
from ..listings.operations import ListingInput, new_listing, publish_listing, publishing_batch
from . import title
from .import_reader import SourceRow
from .models import Encumbrance, LegalStatus, Patent
from .numbers import display_application_number
from .operations import clean
from .title import TitleBasis

BATCH_SIZE = 500
PUBLISHABLE_KINDS = (ListingKind.open_licence, ListingKind.licence, ListingKind.transfer)
DEFAULT_ROYALTY_RATE = Decimal("3")
DEFAULT_TERM_YEARS = 5


class RowStatus(enum.StrEnum):
    imported = "imported"
    updated = "updated"
    unchanged = "unchanged"
    claimed = "claimed"  # the patentee is another organisation: an ownership claim awaits an operator
    rejected = "rejected"

    @property
    def label(self) -> str:
        return str({"imported": _l("新增"), "updated": _l("更新"), "unchanged": _l("未变"),
                    "claimed": _l("权属待核实"), "rejected": _l("拒绝")}[self])


class TitleMode(enum.StrEnum):
    """How the import decides who holds each patent (patents/title.py)."""

    patentee = "patentee"  # an organisation's own import: its rows, else ownership claims
    vouched = "vouched"  # the operator's command line: `--owner` vouches for every row
    by_applicant = "by_applicant"  # the operator's registry load: each row to its patentee


class ListingOutcome(enum.StrEnum):
    published = "published"
    not_published = "not_published"
    existing = "existing"  # a live listing of this kind was already there

    @property
    def label(self) -> str:
        return str({"published": _l("已发布挂牌"), "not_published": _l("未发布挂牌"),
                    "existing": _l("已有同类挂牌")}[self])


FIELD_LABELS = {
    "title": _l("名称"), "app_no": _l("申请号"), "pub_no": _l("公开号"), "patent_type": _l("类型"),
    "abstract": _l("摘要"), "first_claim": _l("首项权利要求"), "claims_count": _l("权利要求数"),
    "ipc_codes": _l("IPC"), "applicants": _l("申请人"), "inventors": _l("发明人"), "app_date": _l("申请日"),
    "pub_date": _l("公开日"), "grant_date": _l("授权日"), "legal_status": _l("法律状态"), "is_pct": _l("PCT"),
    "evaluation_report_no": _l("评价报告编号"), "province": _l("省份"), "source": _l("来源"),
}


@dataclass
class RowResult:
    row: int
    status: RowStatus
    number: str = ""
    title: str = ""
    reason: str = ""  # why the row was rejected, or which fields an update changed
    patent_id: int | None = None
    listing: ListingOutcome | None = None
    listing_id: int | None = None
    listing_reason: str = ""


REPORT_COLUMNS = ("row", "status", "number", "title", "reason", "patent_id", "listing", "listing_id",
                  "listing_reason")


@dataclass
class ImportReport:
    publish_kind: ListingKind | None = None
    results: list[RowResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def counts(self) -> dict[str, int]:
        counts = Counter({status.value: 0 for status in RowStatus})
        counts.update(r.status.value for r in self.results)
        if self.publish_kind is not None:
            counts.update({outcome.value: 0 for outcome in ListingOutcome})
            counts.update(r.listing.value for r in self.results if r.listing)
        counts["total"] = len(self.results)
        return dict(counts)

    @property
    def rejected(self) -> list[RowResult]:
        return [r for r in self.results if r.status == RowStatus.rejected]

    @property
    def not_published(self) -> list[RowResult]:
        return [r for r in self.results if r.listing == ListingOutcome.not_published]

    def listing_reasons(self) -> list[tuple[str, int]]:
        """Why listings were not published, most frequent first."""
        return Counter(r.listing_reason for r in self.not_published).most_common()

    def to_json(self) -> dict:
        return {"publish_kind": self.publish_kind.value if self.publish_kind else None, "seconds": self.seconds,
                "columns": list(REPORT_COLUMNS),
                "rows": [[getattr(r, name) for name in REPORT_COLUMNS] for r in self.results]}

    @classmethod
    def from_json(cls, data: dict | None) -> ImportReport:
        if not data:
            return cls()
        columns = data.get("columns") or list(REPORT_COLUMNS)
        results = []
        for values in data.get("rows", []):
            row = dict(zip(columns, values, strict=False))
            row["status"] = RowStatus(row["status"])
            row["listing"] = ListingOutcome(row["listing"]) if row.get("listing") else None
            results.append(RowResult(**{k: v for k, v in row.items() if k in REPORT_COLUMNS}))
        kind = data.get("publish_kind")
        return cls(ListingKind(kind) if kind else None, results, data.get("seconds", 0.0))

    def write_csv(self, handle, only_rejected: bool = False) -> None:
        """Row by row, with Chinese headings (the caller opens `handle` with utf-8-sig for Excel)."""
        writer = csv.writer(handle)
        writer.writerow([_("行号"), _("结果"), _("专利号"), _("名称"), _("原因/变更"), _("挂牌结果"), _("挂牌编号"),
                         _("挂牌说明")])
        for r in self.results:
            if only_rejected and r.status != RowStatus.rejected:
                continue
            writer.writerow([r.row, r.status.label, r.number, r.title, r.reason, r.listing.label if r.listing else "",
                             r.listing_id or "", r.listing_reason])


# --- listing terms ------------------------------------------------------------------------

@dataclass
class ListingTerms:
    """The terms every imported listing gets; the command line can override them."""

    payment_method: PaymentMethod | None = None
    royalty_rate: Decimal | None = None
    fee: Decimal | None = None
    term_years: int | None = None
    licence_type: LicenceType = LicenceType.ordinary

    def open_licence_payment(self) -> tuple[PaymentMethod, Decimal | None, Decimal | None]:
        """Method, fee, royalty: 3 % of net sales unless told otherwise."""
        method, fee, rate = self.payment_method, self.fee, self.royalty_rate
        if method is None:
            if fee and rate is not None:
                method = PaymentMethod.entry_fee_plus_royalty
            elif fee:
                method = PaymentMethod.lump_sum
            else:
                method = PaymentMethod.royalty
        if method == PaymentMethod.free:
            return method, None, None
        if method.needs_royalty and rate is None:
            rate = DEFAULT_ROYALTY_RATE
        return method, fee if method.needs_fee else None, rate if method.needs_royalty else None

    def term_end(self, patent: Patent, today: date, *, default_years: int | None) -> date | None:
        """The term ends at the patent's expiry, or after term_years (5 when the expiry is unknown)."""
        years = self.term_years or (None if patent.expires_on else default_years)
        end = add_years(today, years) if years else None
        if patent.expires_on and (end is None or end > patent.expires_on):
            end = patent.expires_on
        return end

    def listing_input(self, kind: ListingKind, patent: Patent, today: date) -> ListingInput:
        data = ListingInput(kind=kind, title=patent.title[:300], patent_ids=[patent.id],
                            industry=guess_industry(patent.ipc_codes))
        if kind == ListingKind.open_licence:
            data.payment_method, data.fee_amount, data.royalty_rate = self.open_licence_payment()
            data.term_start = today
            data.term_end = self.term_end(patent, today, default_years=DEFAULT_TERM_YEARS)
        elif kind == ListingKind.licence:
            data.licence_type = self.licence_type
            data.asking_price = self.fee  # none: negotiable
            if self.term_years:
                data.term_start = today
                data.term_end = self.term_end(patent, today, default_years=None)
        elif kind == ListingKind.transfer:
            data.asking_price = self.fee
        return data


# --- the import ---------------------------------------------------------------------------

@dataclass
class _Plan:
    source: SourceRow
    values: dict
    stated: set[str]
    result: RowResult
    owner_id: int = 0  # the import's owner, or (by_applicant) the row's patentee

    @property
    def keys(self) -> set[str]:
        keys = set()
        if self.values["app_no"]:
            keys.add("a:" + self.values["app_no"])
        if self.values["pub_no"]:
            keys.add("p:" + self.values["pub_no"])
        return keys


def _display_number(values: dict) -> str:
    return display_application_number(values["app_no"]) if values["app_no"] else (values["pub_no"] or "")




def _is_empty(name: str, value) -> bool:
    """A sparser file does not erase what is known: empty values never overwrite (nor PCT = no)."""
    return value is None or value == "" or value == [] or (name == "is_pct" and not value)


class _Importer:
    def __init__(self, owner, publish_kind: ListingKind | None, terms: ListingTerms, user, today: date,
                 title_mode: TitleMode = TitleMode.patentee, title_note: str = ""):
        self.owner_id = owner.id if owner is not None else None  # plain ids: objects expire at each commit
        self.owner_names = title.names_of(owner) if owner is not None else set()
        self.title_mode = title_mode
        self.title_note = title_note
        self.registry = title.RegistryOwners() if title_mode == TitleMode.by_applicant else None
        self._verified: set[int] | None = None
        self.user_id = user.id if user is not None else None
        self.user = user  # publishes as the form does; None: the platform (the command line)
        self.kind = publish_kind
        self.terms = terms
        self.today = today
        self.results: list[RowResult] = []
        self.by_app: dict[str, Patent] = {}
        self.by_pub: dict[str, Patent] = {}

    # -- planning: pure Python, no database --------------------------------------------------

    def plan(self, source: SourceRow) -> _Plan | None:
        if source.data is None:
            self.results.append(RowResult(source.number, RowStatus.rejected, reason=source.error))
            return None
        data = source.data
        title = (data.title or "").strip()[:60]
        try:
            values = clean(data).values
            if len(values["evaluation_report_no"]) > 60:
                raise DomainError(_("评价报告编号过长（最多 60 个字符）。"), field="evaluation_report_no")
        except DomainError as error:
            number = (data.app_no or data.pub_no or "").strip()
            self.results.append(RowResult(source.number, RowStatus.rejected, number=number[:30], title=title,
                                          reason=error.message))
            return None
        stated = {name for name in ("legal_status", "patent_type") if (getattr(data, name) or "").strip()}
        result = RowResult(source.number, RowStatus.unchanged, number=_display_number(values), title=title)
        return _Plan(source, values, stated, result, self.owner_id)

    def _resolve_owners(self, plans: list[_Plan]) -> list[_Plan]:
        """By patentee: each row's organisation, created pending when unknown (outside the
        batch's SAVEPOINT, so a replayed batch finds them)."""
        if self.registry is None:
            return plans
        kept = []
        for plan in plans:
            try:
                plan.owner_id = self.registry.owner_for(plan.values["applicants"])
            except DomainError as error:
                plan.result.status, plan.result.reason = RowStatus.rejected, error.message
                self.results.append(plan.result)
                continue
            kept.append(plan)
        return kept

    def run_batch(self, sources: list[SourceRow]) -> None:
        plans = self._resolve_owners([p for p in (self.plan(s) for s in sources) if p is not None])
        self._load_existing(plans)
        pending: list[_Plan] = []
        keys: set[str] = set()
        for plan in plans:
            if plan.keys & keys:  # the same patent twice in one batch: write the first one first
                self._write(pending)
                pending, keys = [], set()
            pending.append(plan)
            keys |= plan.keys
        self._write(pending)

    def _load_existing(self, plans: list[_Plan]) -> None:
        apps = {p.values["app_no"] for p in plans if p.values["app_no"]}
        pubs = {p.values["pub_no"] for p in plans if p.values["pub_no"]}
        conditions = ([Patent.app_no.in_(apps)] if apps else []) + ([Patent.pub_no.in_(pubs)] if pubs else [])
        self.by_app, self.by_pub = {}, {}
        if conditions:
            for patent in db.session.scalars(db.select(Patent).where(or_(*conditions))):
                self._remember(patent)

    def _remember(self, patent: Patent) -> None:
        if patent.app_no:
            self.by_app[patent.app_no] = patent
        if patent.pub_no:
            self.by_pub[patent.pub_no] = patent

    # -- writing: one SAVEPOINT per batch, one per row when the batch is refused -------------

    def _write(self, plans: list[_Plan]) -> None:
        if not plans:
            return
        try:
            with db.session.begin_nested():
                written = self._apply(plans)
        except DBAPIError:
            written = []
            for plan in plans:
                plan.result = RowResult(plan.result.row, RowStatus.unchanged, plan.result.number, plan.result.title)
                try:
                    with db.session.begin_nested():
                        written += self._apply([plan])
                except DBAPIError:
                    plan.result.status = RowStatus.rejected
                    plan.result.reason = _("数据库拒绝了该行（可能与其他机构刚登记的专利冲突），请核对后重新导入。")
                    plan.result.listing = None
                    written.append((plan, None))
        for plan, patent in written:
            if patent is not None:
                plan.result.patent_id = patent.id
                self._remember(patent)
            self.results.append(plan.result)

    def _apply(self, plans: list[_Plan]) -> list[tuple[_Plan, Patent | None]]:
        written: list[tuple[_Plan, Patent | None]] = []
        for plan in plans:
            written.append((plan, self._apply_patent(plan)))
        db.session.flush()
        self._open_claims(written)
        if self.kind is not None:
            for plan, _patent in written:
                if plan.result.status == RowStatus.claimed:
                    plan.result.listing = ListingOutcome.not_published
                    plan.result.listing_reason = _("权属待平台核实，核实前不能挂牌。")
            self._publish([(plan, patent) for plan, patent in written
                           if patent is not None and plan.result.status != RowStatus.claimed])
        return written

    def _verified_owners(self) -> set[int]:
        if self._verified is None:
            self._verified = set(db.session.scalars(db.select(Organization.id).where(
                Organization.status == OrgStatus.verified)))
        return self._verified

    def _holds_title(self, plan: _Plan) -> bool:
        if self.title_mode != TitleMode.patentee:
            return True  # the operator vouched, or the row's own patentee was chosen
        return any(title.normalise_name(n) in self.owner_names
                   for n in title.patentee_names(plan.values["applicants"]))

    def _note(self) -> str:
        if self.title_mode == TitleMode.patentee:
            return str(TitleBasis.patentee.label)
        return self.title_note

    def _open_claims(self, written: list[tuple[_Plan, Patent | None]]) -> None:
        for plan, patent in written:
            if patent is not None and plan.result.status == RowStatus.claimed:
                title.open_claim(patent, db.session.get(Organization, plan.owner_id), self.user_id and
                                 db.session.get(User, self.user_id), source=_("批量导入第 %(row)d 行", row=plan.result.row))

    def _apply_patent(self, plan: _Plan) -> Patent | None:
        values, result = plan.values, plan.result
        existing = (self.by_app.get(values["app_no"]) if values["app_no"] else None) or (
            self.by_pub.get(values["pub_no"]) if values["pub_no"] else None)
        if existing is None:
            confirmed = self._holds_title(plan)
            patent = Patent(owner_id=plan.owner_id, title_confirmed=confirmed,
                            title_note=self._note() if confirmed else "", **values)
            db.session.add(patent)
            if confirmed:
                result.status = RowStatus.imported
            else:
                result.status = RowStatus.claimed
                result.reason = _("记录中的专利权人（%(names)s）不是本单位：已登记为权属申报，待平台核实，不发布挂牌。",
                                  names=values["applicants"] or _("未填写"))
            return patent
        if existing.owner_id != plan.owner_id:
            # Registered to another organisation: the row becomes a claim the operator settles.
            result.status = RowStatus.claimed
            result.reason = _("该专利已由其他机构登记：已记录本单位的权属申报，待平台核实。")
            return existing
        problem = self._conflict(existing, values)
        if problem:
            result.status, result.reason = RowStatus.rejected, problem
            return None
        changed = []
        for name, value in values.items():
            if _is_empty(name, value):
                continue
            if name == "legal_status" and name not in plan.stated:
                continue  # the file does not say: keep what the registry knows (e.g. lapsed)
            if getattr(existing, name) != value:
                setattr(existing, name, value)
                changed.append(str(FIELD_LABELS.get(name, name)))
        if changed:
            result.status = RowStatus.updated
            result.reason = _("更新了：%(fields)s", fields="、".join(changed))
        else:
            result.status = RowStatus.unchanged
        return existing

    def _conflict(self, existing: Patent, values: dict) -> str:
        other = self.by_pub.get(values["pub_no"]) if values["pub_no"] else None
        if other is not None and other is not existing:
            return _("公开号 %(pub)s 已登记为另一件专利（%(number)s）。", pub=values["pub_no"], number=other.number)
        if values["app_no"] and existing.app_no and existing.app_no != values["app_no"]:
            return _("公开号 %(pub)s 对应的申请号是 %(app)s，与本行的申请号不符。", pub=values["pub_no"],
                     app=display_application_number(existing.app_no))
        return ""

    # -- listings ---------------------------------------------------------------------------------

    def _publish(self, written: list[tuple[_Plan, Patent]]) -> None:
        same_kind, busy = self._listings_and_encumbrances(
            [p.id for plan, p in written if plan.result.status != RowStatus.imported])
        listings = []
        for plan, patent in written:
            result = plan.result
            if patent.id in same_kind:
                result.listing, result.listing_id = ListingOutcome.existing, same_kind[patent.id]
                continue
            with publishing_batch():  # one flush for the batch, inside its SAVEPOINT
                listing = self._listing_for(plan, patent, check_registry=patent.id in busy)
            if listing is not None:
                db.session.add(listing)
                listings.append((result, listing))
        if listings:
            db.session.flush()
            for result, listing in listings:
                result.listing, result.listing_id = ListingOutcome.published, listing.id

    def _listings_and_encumbrances(self, patent_ids: list[int]) -> tuple[dict[int, int], set[int]]:
        """For patents already in the registry: their live listing of this kind, and which of them
        carry any live listing or active encumbrance (only those need `check_offerable`)."""
        if not patent_ids:
            return {}, set()
        # Two indexed look-ups rather than one join: SQLite plans the join from the listing side.
        pairs = db.session.execute(db.select(ListingPatent.patent_id, ListingPatent.listing_id)
                                   .where(ListingPatent.patent_id.in_(patent_ids))).all()
        live_kinds = dict(db.session.execute(
            db.select(Listing.id, Listing.kind)
            .where(Listing.id.in_({listing_id for _, listing_id in pairs}), Listing.status.in_(LIVE_STATUSES))
        ).all()) if pairs else {}
        same_kind = {patent_id: listing_id for patent_id, listing_id in pairs
                     if live_kinds.get(listing_id) == self.kind}
        busy = {patent_id for patent_id, listing_id in pairs if listing_id in live_kinds}
        busy.update(db.session.scalars(db.select(Encumbrance.patent_id).where(
            Encumbrance.patent_id.in_(patent_ids), Encumbrance.in_force())))
        return same_kind, busy

    def _listing_for(self, plan: _Plan, patent: Patent, *, check_registry: bool) -> Listing | None:
        """The listing published as the form publishes it (`new_listing` + `publish_listing`); only a
        patent with another live listing or an encumbrance can be refused by the encumbrance rules,
        so for the others (all new patents) their queries are skipped."""
        result = plan.result
        problem = self._precheck(patent)
        listing = None
        if not problem:
            data = self.terms.listing_input(self.kind, patent, self.today)
            try:
                listing = new_listing(plan.owner_id, self.user_id, data, [patent])
                publish_listing(listing, self.user, today=self.today, check_registry=check_registry)
            except DomainError as error:
                problem, listing = error.message, None
        if problem:
            result.listing, result.listing_reason = ListingOutcome.not_published, problem
            return None
        return listing

    def _precheck(self, patent: Patent) -> str:
        """The common reasons first, worded without the number so the report can group them."""
        if not patent.title_confirmed:
            return _("权属待平台核实，核实前不能挂牌。")
        if self.registry is not None and patent.owner_id not in self._verified_owners():
            return _("专利权人尚未在平台注册认证，不能挂牌。")
        if not patent.is_in_force(self.today):
            return _("专利已不在有效期内（%(status)s），不能挂牌。", status=patent.legal_status.label)
        if self.kind == ListingKind.open_licence:
            if patent.legal_status != LegalStatus.granted:
                return _("尚未授权：开放许可只适用于已授权的专利。")
            if patent.patent_type.needs_evaluation_report and not patent.evaluation_report_no:
                return _("%(type)s作开放许可声明需提供专利权评价报告编号（可在“评价报告编号”列填写）。",
                         type=patent.patent_type.label)
        return ""


ProgressCallback = Callable[[int, int], None]


def import_patents(owner, rows: Iterable[SourceRow], publish_kind: ListingKind | str | None = None,
                   listing_terms: ListingTerms | None = None, progress: ProgressCallback | None = None, *,
                   user=None, batch_size: int = BATCH_SIZE, today: date | None = None,
                   title_mode: TitleMode = TitleMode.patentee, title_note: str = "",
                   resume: ImportReport | None = None,
                   on_batch: Callable[[ImportReport], None] | None = None) -> ImportReport:
    """Import `rows` for `owner`; commit after each batch (after calling `progress(done, total)` and
    `on_batch(report so far)`, so a caller can save the partial report in the same commit).

    `title_mode` says who holds each row (TitleMode); `owner` is None only `by_applicant`.
    `resume` is the partial report of an interrupted run: its rows are kept and the import goes on
    after them. Publishing needs a verified organisation: NotVerified is raised before anything is
    written; by patentee, rows whose organisation is not verified are imported but not published."""
    if owner is not None:
        ensure_holds_patents(owner, acting=True)
    kind = ListingKind(publish_kind) if publish_kind else None
    if (owner is None) != (title_mode == TitleMode.by_applicant):
        raise ValueError("an owner is given unless the import registers each row to its patentee")
    if kind is not None:
        if kind not in PUBLISHABLE_KINDS:
            raise DomainError(_("批量导入只能发布开放许可、许可或转让挂牌。"), field="publish")
        if user is not None:
            ensure_can_act(user)
        if owner is not None and not owner.is_verified:
            raise NotVerified()
    started = time.perf_counter()
    rows = list(rows)
    importer = _Importer(owner, kind, listing_terms or ListingTerms(), user, today or business_today(),
                         title_mode, title_note)
    total = len(rows)
    done = 0
    if resume is not None:
        importer.results = list(resume.results)
        done = len(resume.results)
        started -= resume.seconds
    for start in range(done, total, batch_size):
        importer.run_batch(rows[start:start + batch_size])
        if progress is not None:
            progress(min(start + batch_size, total), total)
        if on_batch is not None:
            on_batch(ImportReport(kind, importer.results, round(time.perf_counter() - started, 3)))
        db.session.commit()
    importer.results.sort(key=lambda r: r.row)
    return ImportReport(kind, importer.results, round(time.perf_counter() - started, 3))

