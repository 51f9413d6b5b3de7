"""The form for adding or editing one patent; the operation checks numbers, IPC codes and dates."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..forms import choices
from .models import LegalStatus, Patent, PatentType
from .operations import PatentInput

required = DataRequired(message=_l("此项必填。"))


class PatentForm(FlaskForm):
    app_no = StringField(_l("申请号"), validators=[Optional(), Length(max=30)],
                         description=_l("如 CN202211740332.4，可不带 CN 和小数点；系统核对校验位。"))
    pub_no = StringField(_l("公开（公告）号"), validators=[Optional(), Length(max=30)])
    patent_type = SelectField(_l("专利类型"), choices=choices(
        [("", _l("按申请号自动识别"))] + [(t.value, t.label) for t in PatentType]), default="")
    title = StringField(_l("专利名称"), validators=[required, Length(max=500)])
    abstract = TextAreaField(_l("摘要"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 4})
    ipc_codes = TextAreaField(_l("IPC 分类号"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 2},
                              description=_l("主分类号在前；多个分类号用分号或换行分隔，如 G06F16/35; G06N3/08。"))
    applicants = StringField(_l("申请人（专利权人）"), validators=[Optional(), Length(max=1000)])
    inventors = StringField(_l("发明人"), validators=[Optional(), Length(max=1000)])
    app_date = DateField(_l("申请日"), validators=[Optional()])
    grant_date = DateField(_l("授权日"), validators=[Optional()])
    legal_status = SelectField(_l("法律状态"), choices=choices(
        [("", _l("按授权日自动判断"))] + [(s.value, s.label) for s in LegalStatus]), default="")
    claims_count = IntegerField(_l("权利要求项数"), validators=[
        Optional(), NumberRange(min=0, max=1000, message=_l("权利要求项数应在 0–1000 之间。"))])
    evaluation_report_no = StringField(_l("专利权评价报告编号"), validators=[Optional(), Length(max=60)],
                                       description=_l("实用新型和外观设计发布开放许可时必填。"))
    is_pct = BooleanField(_l("PCT 或境外同族申请"))

    def to_input(self) -> PatentInput:
        return PatentInput(
            title=self.title.data or "", app_no=self.app_no.data or "", pub_no=self.pub_no.data or "",
            patent_type=self.patent_type.data or "", abstract=self.abstract.data or "",
            claims_count=self.claims_count.data, ipc_codes=split_codes(self.ipc_codes.data),
            applicants=self.applicants.data or "", inventors=self.inventors.data or "",
            app_date=self.app_date.data, grant_date=self.grant_date.data,
            legal_status=self.legal_status.data or "", is_pct=bool(self.is_pct.data),
            evaluation_report_no=self.evaluation_report_no.data or "",
        )

    @classmethod
    def for_patent(cls, patent: Patent) -> PatentForm:
        """The edit form, filled from the registry (the posted data wins on POST)."""
        form = cls(data={
            "app_no": patent.number if patent.app_no else "", "pub_no": patent.pub_no or "",
            "patent_type": patent.patent_type.value, "title": patent.title, "abstract": patent.abstract,
            "ipc_codes": "; ".join(patent.ipc_codes or []), "applicants": patent.applicants,
            "inventors": patent.inventors, "app_date": patent.app_date, "grant_date": patent.grant_date,
            "legal_status": patent.legal_status.value, "claims_count": patent.claims_count,
            "evaluation_report_no": patent.evaluation_report_no, "is_pct": patent.is_pct,
        })
        return form


def split_codes(text: str | None) -> list[str]:
    """One code per item: the form says codes are separated by semicolons, commas or new lines."""
    return [code.strip() for code in re.split(r"[;；,，\n]+", text or "") if code.strip()]
