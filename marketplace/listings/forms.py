"""The listing form: common fields plus each kind's terms. Amounts are MoneyFields (one parser for
every amount); percentages stay text so the operation's checks speak to the user, beside the field."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from ..dates import add_years, business_today
from ..forms import choices
from ..money import MoneyField
from ..patents.models import Patent
from .models import INDUSTRY_LABELS, Industry, LicenceType, Listing, ListingKind, PaymentMethod
from .operations import KIND_FIELDS, TERM_FIELDS, ListingInput

required = DataRequired(message=_l("此项必填。"))

PERCENT_FIELDS = ("royalty_rate", "sme_discount", "equity_share")


def amount_field(label, description=None):
    return MoneyField(label, validators=[Optional()], description=description)


def percent_field(label, description=None):
    return StringField(label, validators=[Optional(), Length(max=40)], description=description,
                       render_kw={"inputmode": "decimal", "autocomplete": "off"})


class ListingForm(FlaskForm):
    title = StringField(_l("挂牌标题"), validators=[required, Length(max=300)])
    description = TextAreaField(_l("简介"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3},
                                description=_l("技术亮点、应用场景、成熟度，便于企业判断。"))
    industry = SelectField(_l("所属产业"), choices=choices((i.value, INDUSTRY_LABELS[i]) for i in Industry),
                           default=Industry.other.value)
    patent_ids = SelectMultipleField(_l("挂牌专利"), coerce=int, validate_choice=False, render_kw={"size": 6},
                                     description=_l("可多选（按住 Ctrl 或 ⌘）；仅列出本机构有效期内的专利。"))

    # open licence
    payment_method = SelectField(_l("支付方式"), choices=choices(
        [("", _l("请选择"))] + [(m.value, m.label) for m in PaymentMethod]), default="")
    fee_amount = amount_field(_l("使用费（元）"), _l("一次性支付的金额，或“入门费+提成”的入门费。"))
    royalty_rate = percent_field(_l("提成比例（%）"), _l("按被许可人净销售额计，0–100。"))
    sme_discount = percent_field(_l("中小微企业优惠（%）"), _l("对中小微企业减免使用费的比例，可不填。"))
    # licence
    licence_type = SelectField(_l("许可类型"), choices=choices(
        [("", _l("请选择"))] + [(t.value, t.label) for t in LicenceType]), default="")
    territory = StringField(_l("地域范围"), validators=[Optional(), Length(max=200)],
                            render_kw={"placeholder": _l("如：中国大陆")})
    term_start = DateField(_l("许可起始日"), validators=[Optional()], description=_l("不填则自合同生效之日起。"))
    term_end = DateField(_l("许可截止日"), validators=[Optional()], description=_l("不得晚于专利届满日。"))
    # licence, transfer
    asking_price = amount_field(_l("报价（元）"), _l("不填表示面议。"))
    # equity
    valuation = amount_field(_l("作价金额（元）"))
    equity_share = percent_field(_l("期望持股比例（%）"))
    # pledge
    amount_wanted = amount_field(_l("拟融资金额（元）"))
    term_months = IntegerField(_l("融资期限（月）"), validators=[Optional()])
    purpose = TextAreaField(_l("资金用途"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})

    def __init__(self, kind: ListingKind, patents: list[Patent], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.patent_ids.choices = [(p.id, f"{p.number} {p.title}") for p in patents]

    def term_fields(self) -> list:
        """This kind's term fields, in the order of the form."""
        used = KIND_FIELDS[self.kind]
        return [getattr(self, name) for name in TERM_FIELDS if name in used]

    def to_input(self) -> ListingInput:
        values = {}
        for name in TERM_FIELDS:
            value = getattr(self, name).data
            if name in PERCENT_FIELDS:
                value = clean_number(value)
            values[name] = value
        return ListingInput(
            kind=self.kind, title=self.title.data or "", patent_ids=list(self.patent_ids.data or []),
            description=self.description.data or "", industry=Industry(self.industry.data),
            **{**values,
               "payment_method": PaymentMethod(values["payment_method"]) if values["payment_method"] else None,
               "licence_type": LicenceType(values["licence_type"]) if values["licence_type"] else None,
               "territory": values["territory"] or "", "purpose": values["purpose"] or ""},
        )

    @classmethod
    def for_listing(cls, listing: Listing, patents: list[Patent]) -> ListingForm:
        data = {name: getattr(listing, name) for name in TERM_FIELDS}
        for name in PERCENT_FIELDS:
            data[name] = "" if data[name] is None else str(data[name])
        for name in ("payment_method", "licence_type"):
            data[name] = data[name].value if data[name] else ""
        data.update(title=listing.title, description=listing.description, industry=listing.industry.value,
                    patent_ids=[p.id for p in listing.patents])
        return cls(listing.kind, patents, data=data)


def clean_number(text) -> str | None:
    """' 3.5 %' or '３.５％' → '3.5' (percentages); what is left is checked by the operation."""
    if text is None:
        return None
    cleaned = re.sub(r"[\s%]", "", unicodedata.normalize("NFKC", str(text)))
    return cleaned or None


def default_title(kind: ListingKind, patents: list[Patent]) -> str:
    if not patents:
        return ""
    suffix = f"等 {len(patents)} 件专利" if len(patents) > 1 else ""
    return f"{kind.label}：{patents[0].title}{suffix}"[:300]


def default_term_end(patents: list[Patent], today: date | None = None) -> date | None:
    """An open licence's default term: five years, cut at the earliest expiry."""
    today = today or business_today()
    ends = [p.expires_on for p in patents if p.expires_on]
    five = add_years(today, 5)
    return min([five, *ends]) if ends else five

