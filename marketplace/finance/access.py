"""Who may open a patent's valuation page: the valuation names the patent and its owner, so
it is shown only to those who may already see the patent or have business with it."""

from __future__ import annotations

from ..extensions import db
from ..patents.models import Patent
from ..patents.queries import is_publicly_listed
from .models import Appraisal, PledgeRequestPatent, PledgeReview
from .policies import InsurancePolicy, InsuredPatent, QuotePatent, QuoteRequest


def can_view_valuation(patent: Patent, user) -> bool:
    """The owner, operators, anyone who may see the patent through a listing, the banks
    reviewing a pledge request with it, the agencies that appraised it and the insurers
    asked to quote on or insuring it."""
    if not getattr(user, "is_authenticated", False):
        return False
    if patent.is_owned_by(user) or user.is_operator or is_publicly_listed(patent, user):
        return True
    org_id = user.organization_id
    business = (
        db.select(PledgeReview.id).join(PledgeRequestPatent, PledgeRequestPatent.request_id == PledgeReview.request_id)
        .where(PledgeRequestPatent.patent_id == patent.id, PledgeReview.bank_org_id == org_id),
        db.select(Appraisal.id).where(Appraisal.patent_id == patent.id, Appraisal.agency_org_id == org_id),
        db.select(InsuredPatent.patent_id).join(InsurancePolicy, InsurancePolicy.id == InsuredPatent.policy_id)
        .where(InsuredPatent.patent_id == patent.id, InsurancePolicy.insurer_org_id == org_id),
        db.select(QuotePatent.patent_id).join(QuoteRequest, QuoteRequest.id == QuotePatent.quote_id)
        .where(QuotePatent.patent_id == patent.id, QuoteRequest.insurer_org_id == org_id),
    )
    return any(db.session.scalar(query.limit(1)) is not None for query in business)
