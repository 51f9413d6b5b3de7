"""Form helpers shared by every feature."""

from __future__ import annotations

from flask_wtf import FlaskForm

from .errors import DomainError


def attach_domain_error(form: FlaskForm, error: DomainError) -> None:
    """Show a refused rule beside the field it concerns, or above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [error.message]
    else:
        form.form_errors.append(error.message)


def choices(pairs) -> list:
    """Select options from (value, label) pairs, in the form WTForms 3.3+ expects."""
    from wtforms.fields.choices import SelectChoice

    return [SelectChoice(value, label) for value, label in pairs]
