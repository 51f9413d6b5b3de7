"""Forms for accepting an open licence, proposing and answering offers, and recording steps.

Amounts are MoneyFields (money.parse_money): a bad amount is refused beside what the user typed;
the operations parse again and add their own rules (whether zero is acceptable)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FileField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from ..forms import StepForms, choices
from ..money import MoneyField
from .models import DEAL_MACHINES
from .operations import DOCUMENT_LABELS

required = DataRequired(message=_l("此项必填。"))


class AcceptOpenLicenceForm(FlaskForm):
    notice = TextAreaField(_l("书面通知"), validators=[required, Length(max=10000)],
                           description=_l("依据《专利法》第五十一条，以书面方式通知专利权人即获得许可。可按需修改。"))
    confirm = BooleanField(_l("我已核对本企业信息与公告的许可条件，同意按上述条件支付许可使用费"),
                           validators=[DataRequired(message=_l("请勾选确认。"))])


class TermsForm(FlaskForm):
    amount = MoneyField(_l("金额（元）"), validators=[Optional()],
                        description=_l("许可费、转让价或作价金额，最多两位小数。"))
    royalty_rate = StringField(_l("提成比例（%）"), validators=[Optional(), Length(max=10)],
                               description=_l("按净销售额计，可与金额同时填写。"))
    terms = TextAreaField(_l("条件说明"), validators=[Optional(), Length(max=5000)],
                          description=_l("付款方式、期限、技术支持等。"))


class ProposeForm(TermsForm):
    thread_id = HiddenField()


class CounterForm(TermsForm):
    pass


class PaymentForm(FlaskForm):
    amount_paid = MoneyField(_l("实收金额（元）"), validators=[Optional()])
    paid_on = DateField(_l("收款日期"), validators=[required])


class RecordationForm(FlaskForm):
    recordation_no = StringField(_l("备案号"), validators=[required, Length(max=60)],
                                 description=_l("国家知识产权局专利实施许可合同备案号。"))


class RecordationNumberForm(FlaskForm):
    """A licence contract's 备案号, or the correction of a mistyped one (either kind of licence)."""

    recordation_no = StringField(_l("备案号"), validators=[required, Length(max=60)],
                                 description=_l("国家知识产权局《专利实施许可合同备案证明》上的备案号，如 2023990000123。"))
    reason = TextAreaField(_l("更正说明（可选）"), validators=[Optional(), Length(max=500)], render_kw={"rows": 2})


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("理由（可选）"), validators=[Optional(), Length(max=500)])


class MessageForm(FlaskForm):
    body = TextAreaField(_l("消息"), validators=[required, Length(max=5000)])


STEP_FORMS = StepForms(DEAL_MACHINES.values(), {
    "paid": PaymentForm, "recorded": RecordationForm, "negotiating": CounterForm, "rejected": ReasonForm,
    "cancelled": ReasonForm,
})


class DocumentForm(FlaskForm):
    label = SelectField(_l("文件类型"), choices=choices((label, label) for label in DOCUMENT_LABELS))
    file = FileField(_l("文件（PDF、JPEG 或 PNG，最大 10 MB）"))
