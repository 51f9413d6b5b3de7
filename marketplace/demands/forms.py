"""The demand form: what an enterprise needs, in its own words."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, Optional

from ..forms import choices
from ..listings.models import INDUSTRY_LABELS, LISTING_KIND_LABELS
from ..money import MoneyField
from .operations import WANTABLE_KINDS, DemandInput


class CheckboxListField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class DemandForm(FlaskForm):
    title = StringField(_l("需要什么技术（一句话）"), validators=[DataRequired(message=_l("此项必填。")), Length(max=200)],
                        description=_l("用自己的话写，例如：想让电动车电池冬天也能跑得远。"))
    description = TextAreaField(_l("详细描述"), validators=[Optional(), Length(max=5000)],
                                description=_l("现在遇到的问题、产品用在哪里、希望达到的效果。"))
    industry = SelectField(_l("所属行业"), choices=choices((i.value, label) for i, label in INDUSTRY_LABELS.items()))
    ipc_hint = StringField(_l("IPC 分类提示（可选）"), validators=[Optional(), Length(max=200)],
                           description=_l("知道的话可填，如 H01M 或 G06F16/35，多个用逗号分隔。"))
    budget_min = MoneyField(_l("预算下限（元）"), validators=[Optional()])
    budget_max = MoneyField(_l("预算上限（元）"), validators=[Optional()])
    wanted_kinds = CheckboxListField(_l("希望的交易方式"),
                                     choices=choices((k.value, LISTING_KIND_LABELS[k]) for k in WANTABLE_KINDS))
    deadline = DateField(_l("截止日期（可选）"), validators=[Optional()])
    save_draft = SubmitField(_l("保存草稿"))
    publish = SubmitField(_l("发布需求"))

    def to_input(self) -> DemandInput:
        return DemandInput(title=self.title.data or "", description=self.description.data or "",
                           industry=self.industry.data, ipc_hint=self.ipc_hint.data or "",
                           budget_min=self.budget_min.data, budget_max=self.budget_max.data,
                           wanted_kinds=list(self.wanted_kinds.data or []), deadline=self.deadline.data)

    def fill_from(self, demand) -> None:
        self.title.data, self.description.data = demand.title, demand.description
        self.industry.data = demand.industry.value
        self.ipc_hint.data = ", ".join(demand.ipc_hint or [])
        self.budget_min.data, self.budget_max.data = demand.budget_min, demand.budget_max
        self.wanted_kinds.data = list(demand.wanted_kinds or [])
        self.deadline.data = demand.deadline
