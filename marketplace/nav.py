"""Navigation entries registered by each feature, shown according to the user's role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import request, url_for

Predicate = Callable[[object], bool]


@dataclass(frozen=True)
class NavItem:
    label: str  # a lazy-translated string
    endpoint: str
    visible: Predicate
    order: int = 100
    section: str = "main"  # "main" (left), "admin" (the operator's menu) or "user" (account menu)

    @property
    def url(self) -> str:
        return url_for(self.endpoint)

    @property
    def active(self) -> bool:
        return request.endpoint == self.endpoint


_items: list[NavItem] = []


def add(label, endpoint: str, visible: Predicate, order: int = 100, section: str = "main") -> None:
    if any(item.endpoint == endpoint and item.section == section for item in _items):
        return
    _items.append(NavItem(label, endpoint, visible, order, section))


def items_for(user, section: str = "main") -> list[NavItem]:
    return sorted(
        (i for i in _items if i.section == section and i.visible(user)), key=lambda i: i.order
    )


# Predicates used across features.
def anyone(user) -> bool:
    return True


def signed_in(user) -> bool:
    return user.is_authenticated


def org_admin(user) -> bool:
    return user.is_authenticated and user.is_org_admin


def operator(user) -> bool:
    return user.is_authenticated and user.is_operator


def of_kind(*kinds: str) -> Predicate:
    def visible(user) -> bool:
        return user.is_authenticated and user.organization.kind.value in kinds

    return visible
