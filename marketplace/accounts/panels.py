"""Dashboard panels for accounts: the operator's verification queue."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func

from ..extensions import db
from ..main.panels import Panel, panel_source
from .models import Organization, OrgStatus


@panel_source
def verification_queue(user) -> list[Panel]:
    if not user.is_operator:
        return []
    pending = db.session.scalar(db.select(func.count()).select_from(Organization)
                                .where(Organization.status == OrgStatus.pending)) or 0
    return [Panel(_("待审核机构"), pending, url_for("accounts.operator_orgs", status="pending"),
                  _("核对统一社会信用代码后认证"), urgent=True)]
