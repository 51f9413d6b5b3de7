"""The dashboard's "waiting on you" panels: each feature registers what its users must act on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    title: str
    count: int
    url: str
    hint: str = ""
    urgent: bool = False


PanelSource = Callable[[object], list[Panel]]
_sources: dict[str, PanelSource] = {}


def panel_source(fn: PanelSource) -> PanelSource:
    _sources[fn.__module__ + "." + fn.__name__] = fn
    return fn


def panels_for(user) -> list[Panel]:
    panels: list[Panel] = []
    for _name, source in sorted(_sources.items()):
        panels.extend(source(user))
    return panels
