"""Forms for pledge requests, bank decisions, appraisals and insurance. Amounts and rates are
text fields checked by the operations, so every message is the domain's own, in Chinese."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields import DateField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..forms import ConfirmForm, StepForms, choices
from ..listings.models import INDUSTRY_LABELS
from ..money import MoneyField
from .machines import INSURANCE_MACHINE, PLEDGE_MACHINE, POLICY_TYPE_LABELS
from .models import AppraisalMethod

required = DataRequired(message=_l("此项必填。"))


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ChineseDateField(DateField):
    """An <input type=date>; a bad value gets a Chinese message."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0]:
            self.data = None
            return
        try:
            self.data = date.fromisoformat(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError(str(_l("请输入有效日期（年-月-日）。"))) from None


def _date(label, **kwargs):
    return ChineseDateField(label, validators=[InputRequired(message=_l("请填写日期。"))], **kwargs)


def _amount(label, **kwargs):
    return MoneyField(label, validators=[InputRequired(message=_l("此项必填。"))], **kwargs)


class PledgeRequestForm(FlaskForm):
    patent_ids = CheckboxesField(_l("出质专利"), coerce=int, validate_choice=False,
                                 description=_l("只列出本机构已授权、在有效期内且未质押的专利。"))
    amount = _amount(_l("拟融资金额（元）"))
    term_months = StringField(_l("期限（月）"), validators=[required, Length(max=3)], render_kw={"inputmode": "numeric"})
    purpose = TextAreaField(_l("资金用途"), validators=[required, Length(max=2000)])
    industry = SelectField(_l("所属产业"), choices=choices((k.value, v) for k, v in INDUSTRY_LABELS.items()))
    bank_ids = CheckboxesField(_l("提交给哪些银行"), coerce=int, validate_choice=False)
    documents = MultipleFileField(_l("申请材料（PDF、JPEG、PNG，单个不超过 10 MB）"),
                                  render_kw={"accept": "application/pdf,image/jpeg,image/png"})


class DocumentsForm(FlaskForm):
    documents = MultipleFileField(_l("补充材料（PDF、JPEG、PNG）"), render_kw={"accept": "application/pdf,image/jpeg,image/png"})


class MessageForm(FlaskForm):
    message = TextAreaField(_l("留言"), validators=[required, Length(max=4000)])


class InfoRequestForm(FlaskForm):
    message = TextAreaField(_l("需要补充的材料或说明"), validators=[required, Length(max=4000)])


class ApproveForm(FlaskForm):
    amount = _amount(_l("批准金额（元）"))
    rate = StringField(_l("年利率（%）"), validators=[required, Length(max=8)], render_kw={"inputmode": "decimal"})
    term_months = StringField(_l("期限（月）"), validators=[required, Length(max=3)], render_kw={"inputmode": "numeric"})


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("原因"), validators=[required, Length(max=4000)])


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("撤回原因（可选）"), validators=[Optional(), Length(max=4000)])


class RegisterForm(FlaskForm):
    registration_no = StringField(_l("质押登记号"), validators=[required, Length(max=60)])
    registered_on = _date(_l("登记日期"))


class DisburseForm(FlaskForm):
    amount = _amount(_l("放款金额（元）"))
    disbursed_on = _date(_l("放款日期"))


class RepayForm(FlaskForm):
    repaid_on = _date(_l("还清日期"))


class AppraisalForm(FlaskForm):
    patent_number = StringField(_l("专利申请号"), validators=[required, Length(max=30)],
                                description=_l("如 CN201710601862.3"))
    amount = _amount(_l("评估价值（元）"))
    method = SelectField(_l("评估方法"), choices=choices((m.value, m.label) for m in AppraisalMethod))
    appraised_on = _date(_l("评估基准日"))
    report = FileField(_l("评估报告（PDF）"), render_kw={"accept": "application/pdf"})


class PolicyForm(FlaskForm):
    insured_org_id = SelectField(_l("被保险机构"), coerce=int, validate_choice=False)
    patent_numbers = TextAreaField(_l("承保专利申请号"), validators=[required, Length(max=5000)],
                                   description=_l("每行一个，如 CN201710601862.3；须为被保险机构的有效专利。"))
    policy_type = SelectField(_l("险种"), choices=choices((k.value, v) for k, v in POLICY_TYPE_LABELS.items()))
    type_note = StringField(_l("其他险种名称"), validators=[Optional(), Length(max=100)])
    premium = _amount(_l("保费（元）"))
    coverage = _amount(_l("保险金额（元）"))
    starts_on = _date(_l("保险期间起"))
    ends_on = _date(_l("保险期间止"))
    issue_now = BooleanField(_l("直接出单（否则为报价）"))
    policy_no = StringField(_l("保单号"), validators=[Optional(), Length(max=60)])


class IssueForm(FlaskForm):
    policy_no = StringField(_l("保单号"), validators=[required, Length(max=60)])


class QuoteRequestForm(FlaskForm):
    insurer_id = SelectField(_l("保险机构"), coerce=int, validate_choice=False)
    patent_ids = CheckboxesField(_l("投保专利"), coerce=int, validate_choice=False)
    policy_type = SelectField(_l("险种"), choices=choices((k.value, v) for k, v in POLICY_TYPE_LABELS.items()))
    coverage_wanted = MoneyField(_l("期望保额（元，可选）"), validators=[Optional()])
    message = TextAreaField(_l("说明"), validators=[Optional(), Length(max=4000)])


# The form of each step, by the step's name (a step not listed is a confirmation).
REVIEW_STEP_FORMS = StepForms([PLEDGE_MACHINE], {
    "request-info": InfoRequestForm, "approve": ApproveForm, "reject": ReasonForm, "register": RegisterForm,
    "disburse": DisburseForm, "repay": RepayForm, "default": ReasonForm, "withdraw": WithdrawForm,
})
POLICY_STEP_FORMS = StepForms([INSURANCE_MACHINE], {"issue": IssueForm}, prefixed=False)

__all__ = ["ConfirmForm"]  # the finance pages' confirmation buttons use the shared form
