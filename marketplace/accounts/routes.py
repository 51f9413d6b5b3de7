"""Registration, sign-in, passwords, the organisation page and the operator's verification pages."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..errors import DomainError
from ..extensions import db, login_manager
from ..urls import external_url, safe_next
from ..web import keep_writes, submit
from . import bp, operations
from .forms import (
    AliasesForm,
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    InviteForm,
    JoinForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    RejectForm,
    ResetPasswordForm,
)
from .models import Invitation, Organization, OrgKind, OrgRole, OrgStatus, User, organisation_counts


@login_manager.user_loader
def load_user(session_id: str):
    user_id, _dot, _marker = session_id.partition(".")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    # A session issued before the password changed no longer matches.
    return user if user is not None and user.get_id() == session_id else None


def operator_required(view):
    from functools import wraps

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_operator:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def org_admin_required(view):
    from functools import wraps

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_org_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


# --- registration and sign-in --------------------------------------------------------

@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = RegisterForm()
    outcome = submit(form, lambda: operations.register_organization(
        org_name=form.org_name.data, kind=OrgKind(form.kind.data), uscc=form.uscc.data,
        is_sme=form.is_sme.data, region=form.region.data or "", address=form.address.data or "",
        contact_phone=form.contact_phone.data or "", user_name=form.user_name.data,
        email=form.email.data, password=form.password.data,
    ))
    if outcome.done:
        login_user(outcome.result)
        flash(_("注册成功。您的机构已提交平台审核，审核通过前可以浏览和填写草稿。"), "success")
        return redirect(url_for("main.dashboard"))
    return render_template("accounts/register.html", form=form), outcome.status


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), url_for("main.dashboard")))
    form = LoginForm()
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            user = operations.authenticate(form.email.data, form.password.data, request.remote_addr)
        except operations.LoginRefused as error:
            keep_writes()  # the refusal is 422, but the failure it counted must stay counted
            form.form_errors.append(error.message)
        else:
            login_user(user, remember=form.remember.data)
            flash(_("欢迎回来，%(name)s。", name=user.name), "success")
            return redirect(safe_next(request.args.get("next"), url_for("main.dashboard")))
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("main.home"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    outcome = submit(form, lambda: operations.request_password_reset(form.email.data))
    if outcome.done:
        flash(_("如果该邮箱已注册，我们已向它发送了重设密码的链接。"), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form), outcome.status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        user = operations.user_for_reset_token(token)
    except DomainError as error:
        flash(error.message, "danger")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    outcome = submit(form, lambda: operations.set_new_password(user, form.password.data))
    if outcome.done:
        flash(_("密码已重设，请用新密码登录。"), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form), outcome.status


# --- the signed-in user -----------------------------------------------------------------

@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    outcome = submit(form, lambda: operations.change_password(current_user, form.current_password.data,
                                                              form.password.data))
    if outcome.done:
        flash(_("密码已修改。"), "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_password.html", form=form), outcome.status


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    outcome = submit(form, lambda: operations.update_profile(current_user, name=form.name.data,
                                                             phone=form.phone.data))
    if outcome.done:
        flash(_("个人资料已保存。"), "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form), outcome.status


@bp.get("/org")
@login_required
def my_org():
    return _render_org(invite_form=InviteForm(), new_link=session.pop("invitation_link", None))


def _render_org(invite_form: InviteForm, new_link: str | None = None):
    org = current_user.organization
    invitations = []
    if current_user.is_org_admin:
        invitations = db.session.scalars(
            db.select(Invitation).where(Invitation.organization_id == org.id, Invitation.accepted_at.is_(None),
                                        Invitation.revoked_at.is_(None)).order_by(Invitation.created_at.desc())
        ).all()
    return render_template("accounts/org.html", org=org, invite_form=invite_form, invitations=invitations,
                           new_link=new_link)


@bp.post("/org/invitations")
@org_admin_required
def invite():
    form = InviteForm()
    outcome = submit(form, lambda: operations.create_invitation(current_user, form.email.data,
                                                                OrgRole(form.org_role.data)))
    if outcome.done:
        _invitation, token = outcome.result
        # The link is shown once, on the next page, for the admin to pass on if the mail is lost.
        session["invitation_link"] = external_url("accounts.join", token=token)
        flash(_("邀请已发送到 %(email)s。", email=form.email.data), "success")
        return redirect(url_for("accounts.my_org"))
    return _render_org(invite_form=form), outcome.status


@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token: str):
    invitation = operations.invitation_for_token(token)
    if invitation is None:
        flash(_("邀请链接无效或已过期，请向机构管理员重新索取。"), "danger")
        return redirect(url_for("main.home"))
    form = JoinForm()
    outcome = submit(form, lambda: operations.accept_invitation(invitation, form.name.data, form.password.data))
    if outcome.done:
        # Signing out (a POST, never the GET of the link) also drops another user's remember-me cookie.
        logout_user()
        login_user(outcome.result)
        flash(_("欢迎加入%(org)s。", org=invitation.organization.name), "success")
        return redirect(url_for("main.dashboard"))
    return render_template("accounts/join.html", form=form, invitation=invitation), outcome.status


# --- operator ---------------------------------------------------------------------------

@bp.get("/operator/organisations")
@operator_required
def operator_orgs():
    status = request.args.get("status", "pending")
    query = db.select(Organization).order_by(Organization.created_at.desc(), Organization.id.desc())
    if status in OrgStatus.__members__:
        query = query.where(Organization.status == OrgStatus(status))
    else:
        status = "all"
    kind = request.args.get("kind", "")
    if kind in OrgKind.__members__:
        query = query.where(Organization.kind == OrgKind(kind))
    page = db.paginate(query, per_page=25)
    return render_template("operator/organisations.html", page=page, status=status, kind=kind,
                           counts=organisation_counts())


@bp.route("/operator/organisations/<int:org_id>", methods=["GET"])
@operator_required
def operator_org(org_id: int):
    return _render_operator_org(db.get_or_404(Organization, org_id))


def _render_operator_org(org: Organization, *, reject_form: RejectForm | None = None,
                         aliases_form: AliasesForm | None = None):
    return render_template("operator/organisation.html", org=org,
                           reject_form=reject_form or RejectForm(formdata=None), confirm=ConfirmForm(),
                           aliases_form=aliases_form or AliasesForm(formdata=None, aliases=org.aliases))


@bp.post("/operator/organisations/<int:org_id>/aliases")
@operator_required
def operator_aliases(org_id: int):
    org = db.get_or_404(Organization, org_id)
    form = AliasesForm()
    outcome = submit(form, lambda: operations.set_aliases(org, current_user, form.aliases.data or ""))
    if outcome.done:
        flash(_("已保存别名。"), "success")
        return redirect(url_for("accounts.operator_org", org_id=org.id))
    return _render_operator_org(org, aliases_form=form), outcome.status


@bp.post("/operator/organisations/<int:org_id>/verify")
@operator_required
def operator_verify(org_id: int):
    org = db.get_or_404(Organization, org_id)
    operations.verify_organization(org, current_user)  # a refusal is the 409 page with its message
    flash(_("已认证：%(name)s", name=org.name), "success")
    return redirect(url_for("accounts.operator_orgs"))


@bp.post("/operator/organisations/<int:org_id>/reject")
@operator_required
def operator_reject(org_id: int):
    org = db.get_or_404(Organization, org_id)
    form = RejectForm()
    outcome = submit(form, lambda: operations.reject_organization(org, current_user, form.reason.data))
    if outcome.done:
        flash(_("已驳回：%(name)s", name=org.name), "info")
        return redirect(url_for("accounts.operator_orgs"))
    return _render_operator_org(org, reject_form=form), outcome.status


@bp.get("/operator/users")
@operator_required
def operator_users():
    q = (request.args.get("q") or "").strip()
    query = db.select(User).join(User.organization).order_by(User.id)
    if q:
        # What the operator typed is text, not a LIKE pattern: "%" and "_" match only themselves.
        query = query.where(db.or_(*(column.icontains(q, autoescape=True)
                                     for column in (User.email, User.name, Organization.name))))
    page = db.paginate(query, per_page=50)
    return render_template("operator/users.html", page=page, q=q)
