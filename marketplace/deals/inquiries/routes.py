"""Inquiry pages: the inbox with unread counts, a thread, asking about a listing."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from ...extensions import db
from ...listings.routes import load_listing
from ...sqlite import writes_on_get
from ...web import submit
from ..forms import MessageForm
from . import bp, operations
from .models import Thread, threads_of, total_unread, unread_counts


class InquiriesLabel:
    """The nav entry "咨询", with the user's unread count as a badge."""

    def __str__(self) -> str:
        return str(_l("咨询"))

    def __html__(self) -> str:
        text = escape(str(self))
        count = total_unread(current_user) if current_user.is_authenticated else 0
        if count:
            return Markup('{} <span class="badge bg-danger" data-testid="inquiry-unread" title="{}">{}</span>').format(
                text, _("未读消息"), count)
        return text


def load_thread(thread_id: int) -> Thread:
    thread = db.session.get(Thread, thread_id)
    if thread is None or not thread.can_view(current_user):
        abort(404)
    return thread


@bp.get("/inquiries")
@login_required
def inbox():
    page = db.paginate(threads_of(current_user).order_by(Thread.last_message_at.desc(), Thread.id.desc()),
                       per_page=20)
    unread = unread_counts(current_user, [t.id for t in page.items])
    return render_template("inquiries/inbox.html", page=page, unread=unread)


@bp.route("/inquiries/<int:thread_id>", methods=["GET", "POST"])
@login_required
@writes_on_get  # reading marks the thread read
def thread(thread_id: int):
    thread = load_thread(thread_id)
    form = MessageForm()
    outcome = submit(form, lambda: operations.post_message(thread, current_user, form.body.data))
    if outcome.done:
        return redirect(url_for("inquiries.thread", thread_id=thread.id, _anchor="latest"))
    if not form.is_submitted():
        # Reading is what marks a thread read (a read receipt, not a business change).
        operations.mark_read(thread, current_user)
    return render_template("inquiries/thread.html", thread=thread, form=form,
                           side=thread.side_of(current_user)), outcome.status


@bp.route("/listings/<int:listing_id>/inquire", methods=["GET", "POST"])
@login_required
def ask(listing_id: int):
    listing = load_listing(listing_id)
    existing = operations.existing_thread(listing, current_user)
    if existing is not None:
        return redirect(url_for("inquiries.thread", thread_id=existing.id))
    refusal = operations.inquiry_refusal(listing, current_user)
    form = MessageForm()
    outcome = submit(form, lambda: operations.open_thread(listing, current_user, form.body.data))
    if outcome.done:
        flash(_("消息已发送给挂牌方。"), "success")
        return redirect(url_for("inquiries.thread", thread_id=outcome.result.id))
    return render_template("inquiries/ask.html", listing=listing, form=form, refusal=refusal), outcome.status
