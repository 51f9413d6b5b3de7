"""The operator's yearly form: one field per operator-entered indicator, and a note."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField, ValidationError
from wtforms.validators import Length, Optional

from ..errors import DomainError
from .definitions import OPERATOR_KEYS, REGISTRY
from .operations import parse_value


def _number_check(key: str):
    def check(form, field):
        try:
            parse_value(key, field.data)
        except DomainError as error:
            raise ValidationError(error.message) from None

    return check


class OperatorValuesForm(FlaskForm):
    note = StringField(_l("说明（可选：数据来源、修正原因）"), validators=[Optional(), Length(max=500)])

    def indicator_fields(self):
        return [getattr(self, key) for key in OPERATOR_KEYS]

    def values(self) -> dict[str, str]:
        return {key: getattr(self, key).data for key in OPERATOR_KEYS}


for _key in OPERATOR_KEYS:
    _indicator = REGISTRY[_key]
    setattr(OperatorValuesForm, _key, StringField(
        _indicator.label, validators=[Optional(), _number_check(_key)], description=_indicator.definition,
        render_kw={"inputmode": "numeric" if _indicator.integer else "decimal", "autocomplete": "off"}))
del _key, _indicator


class ValuesImportForm(FlaskForm):
    """Official statistics as a table: 年份, 指标, 数值, 说明."""

    file = FileField(_l("数据文件（CSV 或 XLSX：年份、指标、数值、说明）"),
                     validators=[FileRequired(_l("请选择要导入的文件。"))],
                     render_kw={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    note = StringField(_l("说明（可选：数据来源）"), validators=[Optional(), Length(max=500)])
