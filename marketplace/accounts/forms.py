"""Forms for registration, sign-in, passwords, invitations and verification."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from ..forms import choices
from .models import ORG_KIND_LABELS, OrgKind, OrgRole

REGISTRABLE_KINDS = [k for k in OrgKind if k != OrgKind.regulator]

required = DataRequired(message=_l("此项必填。"))


def strip(value):
    """Spaces around a pasted code or address are not part of it."""
    return value.strip() if isinstance(value, str) else value


def email_field(label):
    return EmailField(label, validators=[required, Email(message=_l("请输入有效的邮箱地址。")), Length(max=254)],
                      filters=[strip])


def new_password_fields():
    password = PasswordField(_l("密码"), validators=[required, Length(max=128)],
                             description=_l("至少 10 个字符，包含大写字母、小写字母、数字、符号中的至少三类。"))
    confirm = PasswordField(_l("确认密码"), validators=[required, EqualTo("password", message=_l("两次输入的密码不一致。"))])
    return password, confirm


class RegisterForm(FlaskForm):
    org_name = StringField(_l("机构名称"), validators=[required, Length(max=200)])
    kind = SelectField(_l("机构类型"), choices=choices((k.value, ORG_KIND_LABELS[k]) for k in REGISTRABLE_KINDS),
                       validators=[required])
    is_sme = BooleanField(_l("中小微企业"), description=_l("仅企业适用。"))
    uscc = StringField(_l("统一社会信用代码"), filters=[strip],
                       validators=[required, Length(min=18, max=18, message=_l("统一社会信用代码为 18 位。"))])
    region = StringField(_l("所在地区"), validators=[Optional(), Length(max=100)])
    address = StringField(_l("地址"), validators=[Optional(), Length(max=300)])
    contact_phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=40)])
    user_name = StringField(_l("您的姓名"), validators=[required, Length(max=100)])
    email = email_field(_l("邮箱（登录名）"))
    password, confirm = new_password_fields()


class LoginForm(FlaskForm):
    email = email_field(_l("邮箱"))
    password = PasswordField(_l("密码"), validators=[required])
    remember = BooleanField(_l("记住我"))


class ForgotPasswordForm(FlaskForm):
    email = email_field(_l("注册邮箱"))


class ResetPasswordForm(FlaskForm):
    password, confirm = new_password_fields()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("当前密码"), validators=[required])
    password, confirm = new_password_fields()


class ProfileForm(FlaskForm):
    name = StringField(_l("姓名"), validators=[required, Length(max=100)])
    phone = StringField(_l("电话"), validators=[Optional(), Length(max=40)])


class InviteForm(FlaskForm):
    email = email_field(_l("同事邮箱"))
    org_role = SelectField(_l("角色"), choices=choices((r.value, r.label) for r in OrgRole), default=OrgRole.member.value)


class JoinForm(FlaskForm):
    name = StringField(_l("您的姓名"), validators=[required, Length(max=100)])
    password, confirm = new_password_fields()


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("不通过原因"), validators=[required, Length(max=1000)])


class AliasesForm(FlaskForm):
    aliases = TextAreaField(_l("曾用名、英文名等别名（每行一个；专利记录中的专利权人与机构名称或别名一致时，权属自动确认）"),
                            validators=[Length(max=2000)])


class ConfirmForm(FlaskForm):
    """An empty form: a button whose POST carries only the CSRF token."""
