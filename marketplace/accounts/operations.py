"""Writes on organisations and users: each checks its rule, mutates, flushes; the view commits."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func
from werkzeug.security import check_password_hash

from ..errors import DomainError, NotVerified, PermissionDenied
from ..extensions import db
from ..notify.operations import notify_organization, notify_user, send_mail
from ..sqlite import end_read_transaction
from ..types import utcnow
from ..urls import external_url
from ..workflow import move_status
from . import throttle
from .models import Invitation, Organization, OrgKind, OrgRole, OrgStatus, SiteRole, User
from .validation import canonical_uscc, password_problems


def ensure_can_act(user) -> None:
    """The one gate for acting (publish, accept, approve…): a verified organisation."""
    if not user.is_authenticated:
        raise PermissionDenied(_("请先登录。"))
    if not user.can_act:
        raise NotVerified()


def ensure_operator(user) -> None:
    if not (user.is_authenticated and user.is_operator):
        raise PermissionDenied(_("只有平台运营人员可以执行此操作。"))


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_taken(email: str) -> bool:
    return db.session.scalar(db.select(User.id).where(User.email == normalise_email(email))) is not None


def _check_password(password: str, email: str, name: str) -> None:
    problems = password_problems(password, email, name)
    if problems:
        raise DomainError(problems[0], field="password")


def register_organization(
    *, org_name: str, kind: OrgKind, uscc: str, is_sme: bool, region: str, address: str,
    contact_phone: str, user_name: str, email: str, password: str,
) -> User:
    """A new organisation (pending verification) and its first admin user."""
    if kind == OrgKind.regulator:
        raise DomainError(_("监管部门账号由平台开通，不能自行注册。"), field="kind")
    try:
        code = canonical_uscc(uscc)
    except ValueError as error:
        raise DomainError(str(error), field="uscc") from error
    if db.session.scalar(db.select(Organization.id).where(Organization.uscc == code)):
        raise DomainError(_("该统一社会信用代码已注册。如您属于该机构，请向其管理员索取邀请链接。"), field="uscc")
    same_name = db.session.scalar(db.select(Organization).where(
        func.lower(Organization.name) == org_name.strip().lower()))
    # The registry named this organisation as a patentee before it came (import-patents
    # --by-applicant): it takes over that record, and with it the patents registered to it.
    placeholder = same_name if same_name is not None and same_name.uscc is None and not same_name.users else None
    if same_name is not None and placeholder is None:
        raise DomainError(_("已有同名机构注册。"), field="org_name")
    email = normalise_email(email)
    if email_taken(email):
        raise DomainError(_("该邮箱已注册，请直接登录或找回密码。"), field="email")
    _check_password(password, email, user_name)

    org = placeholder or Organization(name=org_name.strip())
    org.kind, org.uscc, org.is_sme = kind, code, bool(is_sme) and kind == OrgKind.enterprise
    org.region, org.address, org.contact_name = region.strip(), address.strip(), user_name.strip()
    org.contact_phone, org.contact_email, org.status = contact_phone.strip(), email, OrgStatus.pending
    db.session.add(org)
    db.session.flush()
    user = User(email=email, name=user_name.strip(), phone=contact_phone.strip(),
                organization=org, org_role=OrgRole.admin)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    operators = db.select(User).where(User.site_role == SiteRole.operator, User.active)
    for operator in db.session.scalars(operators):
        notify_user(operator, _("新机构待审核：%(name)s", name=org.name),
                    external_url("accounts.operator_org", org_id=org.id))
    return user


def verify_organization(org: Organization, operator: User) -> None:
    ensure_operator(operator)
    if org.status == OrgStatus.verified:
        raise DomainError(_("该机构已通过审核。"))
    if org.uscc is None:
        raise DomainError(_("该机构由专利登记导入创建，尚未注册（没有统一社会信用代码），不能审核通过。"))
    move_status(org, [OrgStatus.pending, OrgStatus.rejected], OrgStatus.verified)
    org.status_reason = ""
    org.reviewed_at = utcnow()
    org.reviewed_by_id = operator.id
    db.session.flush()
    notify_organization(org, _("您的机构“%(name)s”已通过平台审核，现在可以发布和交易。", name=org.name),
                        external_url("accounts.my_org"))


def reject_organization(org: Organization, operator: User, reason: str) -> None:
    ensure_operator(operator)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写不通过的原因，机构会看到它。"), field="reason")
    # From any status (a verified organisation may be suspended, a reason corrected), but once
    # per reading: two operators' simultaneous clicks send one notice.
    move_status(org, [org.status], OrgStatus.rejected)
    org.status_reason = reason
    org.reviewed_at = utcnow()
    org.reviewed_by_id = operator.id
    db.session.flush()
    notify_organization(org, _("您的机构“%(name)s”未通过审核：%(reason)s", name=org.name, reason=reason),
                        external_url("accounts.my_org"))


# --- invitations -----------------------------------------------------------------

def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(admin: User, email: str, role: OrgRole = OrgRole.member) -> tuple[Invitation, str]:
    if not admin.is_org_admin:
        raise PermissionDenied(_("只有本机构管理员可以邀请成员。"))
    email = normalise_email(email)
    if email_taken(email):
        raise DomainError(_("该邮箱已注册。"), field="email")
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        organization_id=admin.organization_id, email=email, org_role=role,
        token_hash=_hash_token(token), created_by_id=admin.id,
        expires_at=utcnow() + timedelta(days=current_app.config["INVITATION_MAX_AGE_DAYS"]),
    )
    db.session.add(invitation)
    db.session.flush()
    link = external_url("accounts.join", token=token)
    send_mail(email, _("邀请您加入%(org)s", org=admin.organization.name),
              _("%(who)s 邀请您加入“%(org)s”在知识产权转化池的账号。请在 %(days)d 天内打开链接完成注册：\n%(link)s",
                who=admin.name, org=admin.organization.name,
                days=current_app.config["INVITATION_MAX_AGE_DAYS"], link=link))
    return invitation, token


def invitation_for_token(token: str) -> Invitation | None:
    invitation = db.session.scalar(db.select(Invitation).where(Invitation.token_hash == _hash_token(token)))
    if invitation is None or not invitation.is_usable(utcnow()):
        return None
    return invitation


def accept_invitation(invitation: Invitation, name: str, password: str) -> User:
    if not invitation.is_usable(utcnow()):
        raise DomainError(_("邀请链接已失效。"))
    if email_taken(invitation.email):
        raise DomainError(_("该邮箱已注册。"), field="email")
    _check_password(password, invitation.email, name)
    user = User(email=invitation.email, name=name.strip(), organization_id=invitation.organization_id,
                org_role=invitation.org_role)
    user.set_password(password)
    db.session.add(user)
    invitation.accepted_at = utcnow()
    db.session.flush()
    return user


# --- sign-in and passwords -----------------------------------------------------------

class LoginRefused(DomainError):
    status_code = 200


def authenticate(email: str, password: str, address: str | None) -> User:
    """Return the user, or raise LoginRefused with a message that says why."""
    keys = throttle.keys_for(email, address)
    verdict = throttle.check(keys)
    if not verdict.allowed:
        if verdict.locked:
            minutes = max(1, (verdict.wait_seconds + 59) // 60)
            raise LoginRefused(_("登录失败次数过多，该账号或地址已被临时锁定，请 %(m)d 分钟后再试，或通过“忘记密码”重设密码。", m=minutes))
        raise LoginRefused(_("登录尝试过于频繁，请 %(s)d 秒后再试。", s=verdict.wait_seconds))
    user = db.session.scalar(db.select(User).where(User.email == normalise_email(email)))
    password_hash = user.password_hash if user is not None else None
    # The hash check is slow on purpose (scrypt): end the reading transaction first, so it holds
    # no lock meanwhile (on SQLite a writer's lock is the whole database's).
    end_read_transaction()
    if password_hash is None or not check_password_hash(password_hash, password) or not user.active:
        throttle.record_failure(keys)
        raise LoginRefused(_("邮箱或密码不正确。"))
    throttle.record_success(email)
    user.last_login_at = utcnow()
    return user


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def make_reset_token(user: User) -> str:
    # The password hash's tail makes the link single-use: it changes once the password does.
    return _reset_serializer().dumps({"uid": user.id, "ph": user.password_hash[-16:]})


def request_password_reset(email: str) -> None:
    """Mail a reset link if the address is known; say nothing either way (no enumeration)."""
    user = db.session.scalar(db.select(User).where(User.email == normalise_email(email)))
    if user is None or not user.active:
        return
    link = external_url("accounts.reset_password", token=make_reset_token(user))
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    send_mail(user.email, _("重设您的密码"),
              _("请在 %(m)d 分钟内打开以下链接重设密码（仅可使用一次）：\n%(link)s\n\n如果不是您本人操作，请忽略本邮件。", m=minutes, link=link))


def user_for_reset_token(token: str) -> User:
    try:
        data = _reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except SignatureExpired as error:
        raise DomainError(_("重设密码链接已过期，请重新申请。")) from error
    except BadSignature as error:
        raise DomainError(_("重设密码链接无效。")) from error
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or user.password_hash[-16:] != data.get("ph"):
        raise DomainError(_("重设密码链接无效或已被使用。"))
    return user


def set_new_password(user: User, password: str) -> None:
    _check_password(password, user.email, user.name)
    user.set_password(password)
    throttle.record_success(user.email)


def update_profile(user: User, *, name: str, phone: str | None) -> None:
    user.name = name.strip()
    user.phone = (phone or "").strip()
    db.session.flush()


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise DomainError(_("当前密码不正确。"), field="current_password")
    set_new_password(user, new)


def set_aliases(org: Organization, operator: User, text: str) -> None:
    """The names an organisation's patents may carry as patentee, recorded by an operator (an
    alias confirms titles, so the organisation cannot declare one alone)."""
    ensure_operator(operator)
    names = list(dict.fromkeys(line.strip() for line in (text or "").splitlines() if line.strip()))
    if any(len(name) > 200 for name in names):
        raise DomainError(_("每个别名最多 200 字。"), field="aliases")
    org.aliases = "\n".join(names)
    db.session.flush()
