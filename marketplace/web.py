"""How a request ends, in one place: it commits once when its answer is a success and rolls
back otherwise; a posted form is submitted one way (refused: 422, conflict: 409, done: redirect).

Operations only flush. A view never commits: `Marketplace.dispatch_request` commits after the
view returned a 1xx–3xx answer (the way indico's `RH.process` commits after `_process`), and
rolls back when the view raised or answered 4xx/5xx, so nothing an operation flushed outlives a
refused or failed request. `after_request` hooks see the committed state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, g
from flask_wtf import FlaskForm
from wtforms.fields import HiddenField

from .errors import DomainError, PermissionDenied
from .extensions import db
from .forms import attach_domain_error


class Marketplace(Flask):
    """The application: every view runs inside one unit of work."""

    def dispatch_request(self):
        try:
            response = self.make_response(super().dispatch_request())
        except BaseException:
            db.session.rollback()
            raise
        callbacks = g.pop("after_commit", [])
        if response.status_code < 400 or g.pop("keep_writes", False):
            db.session.commit()
            for callback in callbacks:
                callback()
        else:
            db.session.rollback()
        return response


def after_commit(callback: Callable[[], Any]) -> None:
    """Run `callback` once this request's writes are committed (e.g. hand a job to a worker that
    reads it from its own session); dropped when the request is refused."""
    g.setdefault("after_commit", []).append(callback)


def keep_writes() -> None:
    """Commit what this request wrote even though its answer is a refusal: a record of the
    refusal itself (a failed sign-in counted against the throttle), never a business change."""
    g.keep_writes = True


@dataclass
class Submission:
    """What became of a posted form: `done` with the operation's result, or refused with the
    status the page is re-rendered with (200 when nothing was posted)."""

    done: bool = False
    result: Any = None
    status: int = 200


def submit(form: FlaskForm, operation: Callable[[], Any], *, aliases: dict[str, str] | None = None) -> Submission:
    """Validate the posted `form` and run `operation()`.

    A form that does not validate, or a rule the operation refuses about one of the form's
    fields, answers 422 with every message beside its field (what was typed stays in the form).
    Any other refusal keeps its own status: 409 for a conflict (wrong state, a race lost, a rule
    broken), 403 for a right the user lacks; its message is shown above the form. `aliases` maps
    an operation's field name to the form's field that shows it."""
    if not form.is_submitted():
        return Submission()
    if not form.validate():
        _surface_hidden_errors(form)
        return Submission(status=422)
    try:
        result = operation()
    except DomainError as error:
        db.session.rollback()  # what the page shows next is the database, not a half-done operation
        return Submission(status=refuse(form, error, aliases))
    return Submission(done=True, result=result)


def refuse(form: FlaskForm, error: DomainError, aliases: dict[str, str] | None = None) -> int:
    """Show `error` on `form`; return the status the re-rendered page answers with."""
    if aliases and error.field in aliases:
        error.field = aliases[error.field]
    attach_domain_error(form, error)
    on_a_field = error.field is not None and getattr(form, error.field, None) is not None
    if on_a_field and not isinstance(error, PermissionDenied):
        return 422
    return error.status_code


def _surface_hidden_errors(form: FlaskForm) -> None:
    """A hidden field has nowhere to show its message: it goes above the form."""
    for field in form:
        if isinstance(field, HiddenField) and field.errors and field.name != "csrf_token":
            form.form_errors.extend(field.errors)
