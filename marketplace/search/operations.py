"""Writes of the search feature: saving and deleting a saved search."""

from __future__ import annotations

from flask_babel import gettext as _

from ..errors import DomainError, PermissionDenied
from ..extensions import db
from .models import SavedSearch
from .params import SearchParams

MAX_SAVED_PER_USER = 50


def save_search(user, params: SearchParams, name: str = "") -> SavedSearch:
    if not user.is_authenticated:
        raise PermissionDenied(_("请先登录。"))
    if not params.q and not params.filters:
        raise DomainError(_("请先输入关键词或选择筛选条件，再保存搜索。"))
    count = db.session.scalar(db.select(db.func.count()).select_from(SavedSearch)
                              .where(SavedSearch.user_id == user.id)) or 0
    if count >= MAX_SAVED_PER_USER:
        raise DomainError(_("最多保存 %(n)d 个搜索，请先删除不用的。", n=MAX_SAVED_PER_USER))
    name = (name or params.q or _("筛选条件")).strip()[:200]
    saved = SavedSearch(user_id=user.id, name=name, query=params.q,
                        filters={k: list(v) for k, v in params.filters.items()})
    db.session.add(saved)
    db.session.flush()
    return saved


def delete_saved_search(saved: SavedSearch, user) -> None:
    if not saved.is_owned_by(user):
        raise PermissionDenied(_("只能删除自己保存的搜索。"))
    db.session.delete(saved)
    db.session.flush()
