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


class ConfirmForm(FlaskForm):
    """A step that needs nothing but the click (and its CSRF token)."""


class StepForms:
    """The form of each step of some machines, by the step's name; a step not listed needs only
    the click. The names are checked against the machines, so a renamed step cannot leave its
    form behind. The form's fields are named as the operation's keyword arguments."""

    def __init__(self, machines, forms: dict, *, prefixed: bool = True):
        names = {step.name for machine in machines for step in machine.steps}
        unknown = set(forms) - names
        if unknown:
            raise ValueError(f"forms for steps no machine has: {sorted(unknown)}")
        self.forms = forms
        self.prefixed = prefixed

    def form(self, name: str, **kwargs) -> FlaskForm:
        return self.forms.get(name, ConfirmForm)(prefix=name if self.prefixed else "", **kwargs)


def step_values(form: FlaskForm) -> dict:
    """What the user typed, as keyword arguments of the step's operation."""
    return {field.short_name: field.data for field in form
            if field.type not in ("CSRFTokenField", "HiddenField", "SubmitField")}
