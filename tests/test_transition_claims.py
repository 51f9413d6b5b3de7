"""How a step finds out that someone else moved first, without threads: another request's write
is played behind the back of objects already loaded, as happens when two requests overlap.

Every transition claims its subject (a compare-and-set on `version`); a form carries the version
its page showed, so a click on a page the other side has moved since is refused; statuses kept
outside the machines (organisations, quote requests, demands) move by a conditional UPDATE."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, update

from marketplace.accounts import operations as accounts
from marketplace.accounts.models import Organization, OrgStatus
from marketplace.deals import operations as ops
from marketplace.deals.models import Deal, DealStatus
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.finance.models import PledgeReview
from marketplace.ledger.models import LedgerEntry
from marketplace.listings.models import ListingKind
from marketplace.notify.models import Notification

from .finance_helpers import submit

MOVED = "本次操作未执行"


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def negotiation(make, ctx):
    holder = make.user(kind="university")
    buyer = make.user(kind="enterprise")
    listing = make.listing(holder, kind=ListingKind.transfer)
    deal = ops.propose_deal(listing, buyer, amount="500000")
    ops.counter_offer(deal, holder, amount="600000")
    db.session.commit()
    return deal, holder, buyer


def entries() -> int:
    return db.session.scalar(select(func.count()).select_from(LedgerEntry))


def behind_its_back(model, subject_id: int, **values) -> None:
    """Another request's committed step: the row changes, the loaded object does not know."""
    db.session.execute(update(model).where(model.id == subject_id)
                       .values(version=model.version + 1, **values).execution_options(synchronize_session=False))


def test_a_step_on_a_subject_moved_since_it_was_read_is_a_conflict_and_writes_nothing(negotiation):
    deal, holder, buyer = negotiation
    version, before, notes = deal.version, entries(), db.session.scalar(select(func.count(Notification.id)))
    behind_its_back(Deal, deal.id, status=DealStatus.cancelled)

    with pytest.raises(Conflict, match=MOVED) as refused:
        ops.agree(deal, buyer)  # the object still says "negotiating"

    assert refused.value.status_code == 409 and "已取消" in refused.value.message
    assert entries() == before and db.session.scalar(select(func.count(Notification.id))) == notes
    assert db.session.scalar(select(Deal.version).where(Deal.id == deal.id)) == version + 1


def test_each_transition_moves_the_version_on_so_a_repeat_is_refused(negotiation):
    deal, holder, buyer = negotiation
    version = deal.version
    ops.agree(deal, buyer)
    assert deal.version == version + 1
    db.session.commit()
    assert db.session.scalar(select(Deal.version).where(Deal.id == deal.id)) == version + 1
    with pytest.raises(Exception, match="不能执行此操作"):
        ops.agree(deal, buyer)


def test_the_step_forms_carry_the_version_their_page_showed(negotiation, as_user):
    deal, holder, buyer = negotiation
    page = as_user(buyer).get(f"/deals/{deal.id}").get_data(as_text=True)
    shown = re.findall(r'name="seen" value="([^"]+)"', page)
    assert shown and set(shown) == {f"deal:{deal.id}:{deal.version}"}


def test_a_click_on_a_page_the_other_side_has_moved_since_is_refused(negotiation, as_user):
    deal, holder, buyer = negotiation
    seen = f"deal:{deal.id}:{deal.version}"
    # The buyer agrees while the holder's page still shows the negotiation and its "撤销" button.
    ops.agree(deal, buyer)
    db.session.commit()
    before = entries()

    response = as_user(holder).post(f"/deals/{deal.id}/steps/cancelled", data={"seen": seen})

    assert response.status_code == 409 and MOVED in response.get_data(as_text=True)
    assert db.session.get(Deal, deal.id).status == DealStatus.agreed and entries() == before
    # Ending the agreed deal is still possible, from the page as it is now.
    fresh = f"deal:{deal.id}:{db.session.get(Deal, deal.id).version}"
    assert as_user(holder).post(f"/deals/{deal.id}/steps/cancelled", data={"seen": fresh}).status_code == 302
    assert db.session.get(Deal, deal.id).status == DealStatus.cancelled


def test_a_version_shown_for_another_subject_is_ignored(negotiation, as_user):
    deal, holder, buyer = negotiation
    response = as_user(buyer).post(f"/deals/{deal.id}/steps/agreed", data={"seen": f"pledge_review:{deal.id}:0"})
    assert response.status_code == 302


def test_the_bank_review_page_carries_the_version_too(make, ctx, as_user):
    holder = make.user(kind="enterprise")
    bank = make.user(kind="bank")
    request = submit(holder, [bank], [make.patent(holder.organization)])
    db.session.commit()
    review = request.reviews[0]
    page = as_user(bank).get(f"/finance/reviews/{review.id}").get_data(as_text=True)
    assert f'name="seen" value="pledge_review:{review.id}:{review.version}"' in page
    behind_its_back(PledgeReview, review.id)
    db.session.commit()
    response = as_user(bank).post(f"/finance/reviews/{review.id}/start",
                                  data={"seen": f"pledge_review:{review.id}:{review.version - 1}"})
    assert response.status_code == 409 and MOVED in response.get_data(as_text=True)
    assert db.session.get(PledgeReview, review.id).status.value == "submitted"


def test_an_organisation_verified_by_another_operator_meanwhile_is_told_once(make, ctx):
    operator = make.user(operator=True)
    applicant = make.org(status=OrgStatus.pending)
    make.user(applicant)
    db.session.execute(update(Organization).where(Organization.id == applicant.id)
                       .values(status=OrgStatus.verified).execution_options(synchronize_session=False))
    assert applicant.status == OrgStatus.pending  # what this request read

    with pytest.raises(Conflict, match=MOVED):
        accounts.verify_organization(applicant, operator)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.text.contains("已通过平台审核"))) == 0
