"""Targets and the district's population: the plan's values by default, configuration wins.

    INDICATOR_TARGETS = {"patent_grants": 4000, "insured_patents": {"value": 80, "comparison": "gt"}}
    DISTRICT_POPULATION = 687000

Both may come from the environment (INDICATOR_TARGETS as JSON). A district other than 鼓楼
sets its own here, without touching code."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from flask import current_app

from ..config import ConfigurationError
from .definitions import REGISTRY, Indicator, Target

# 鼓楼区常住人口 about 68.7万 (2020 census); the plan itself gives no figure.
DEFAULT_POPULATION = 687000


def init_config(app) -> None:
    app.config.setdefault("DISTRICT_POPULATION", os.environ.get("DISTRICT_POPULATION", DEFAULT_POPULATION))
    if "INDICATOR_TARGETS" not in app.config:
        raw = os.environ.get("INDICATOR_TARGETS", "")
        try:
            app.config["INDICATOR_TARGETS"] = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as error:
            raise ConfigurationError(f"INDICATOR_TARGETS is not valid JSON: {error}") from None
    parse_overrides(app.config["INDICATOR_TARGETS"])  # refuse to start on a mistake


def parse_overrides(overrides) -> dict[str, Target]:
    if not isinstance(overrides, dict):
        raise ConfigurationError("INDICATOR_TARGETS must map indicator keys to targets")
    parsed: dict[str, Target] = {}
    for key, spec in overrides.items():
        indicator = REGISTRY.get(key)
        if indicator is None:
            raise ConfigurationError(f"INDICATOR_TARGETS: unknown indicator {key!r} (known: {', '.join(REGISTRY)})")
        base = indicator.target or Target(Decimal("0"))
        fields = spec if isinstance(spec, dict) else {"value": spec}
        try:
            value = Decimal(str(fields["value"]))
        except (KeyError, InvalidOperation, ValueError):
            raise ConfigurationError(f"INDICATOR_TARGETS[{key!r}]: the target must be a number") from None
        if not value.is_finite() or value < 0:
            raise ConfigurationError(f"INDICATOR_TARGETS[{key!r}]: the target must be a number ≥ 0")
        comparison = fields.get("comparison", base.comparison)
        if comparison not in ("ge", "gt"):
            raise ConfigurationError(f"INDICATOR_TARGETS[{key!r}]: comparison is 'ge' or 'gt'")
        parsed[key] = replace(base, value=value, comparison=comparison)
    return parsed


def target_for(indicator: Indicator) -> Target | None:
    overrides = parse_overrides(current_app.config.get("INDICATOR_TARGETS") or {})
    return overrides.get(indicator.key, indicator.target)


def population() -> int | None:
    """The configured population, or None when it is missing, zero or not a number."""
    raw = current_app.config.get("DISTRICT_POPULATION")
    try:
        value = int(str(raw).replace(",", "").strip())
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None
