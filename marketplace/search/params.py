"""What a search asks for, read from a URL's query string: the same rules for the page and the API."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from ..errors import DomainError
from .facets import FACETS

MAX_QUERY_CHARS = 200  # longer queries are cut here: nobody types more, and it bounds the work
MAX_PER_PAGE = 50
DEFAULT_PER_PAGE = 20
MAX_FILTER_VALUES = 20
SORTS = ("relevance", "newest", "price_asc", "price_desc")


class BadSearch(DomainError):
    status_code = 400


@dataclass
class SearchParams:
    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    truncated: bool = False
    problems: list[str] = field(default_factory=list)  # lenient parsing: what was ignored and why

    def to_args(self, **changes) -> dict:
        """Query-string arguments for a link to this search with some parameters changed."""
        args: dict = {}
        if self.q:
            args["q"] = self.q
        for name, values in self.filters.items():
            if values:
                args[name] = list(values)
        if self.sort != "relevance":
            args["sort"] = self.sort
        if self.per_page != DEFAULT_PER_PAGE:
            args["per_page"] = self.per_page
        args.update(changes)
        return {k: v for k, v in args.items() if v not in (None, "", [])}

    def without(self, name: str, value: str | None = None) -> dict:
        filters = {k: list(v) for k, v in self.filters.items()}
        if value is None:
            filters.pop(name, None)
        else:
            filters[name] = [v for v in filters.get(name, []) if v != value]
        return SearchParams(self.q, filters, self.sort, 1, self.per_page).to_args()

    def with_value(self, name: str, value: str) -> dict:
        filters = {k: list(v) for k, v in self.filters.items()}
        if value not in filters.setdefault(name, []):
            filters[name].append(value)
        return SearchParams(self.q, filters, self.sort, 1, self.per_page).to_args()


def _positive_int(raw, name: str, default: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(str(raw).strip())
    except ValueError as error:
        raise BadSearch(_("参数 %(name)s 应为正整数，收到“%(value)s”。", name=name, value=str(raw)[:20])) from error
    if value < 1:
        raise BadSearch(_("参数 %(name)s 应为正整数（从 1 开始），收到 %(value)s。", name=name, value=value))
    return value


def parse(args, *, strict: bool) -> SearchParams:
    """Read q, the facet filters, sort, page and per_page.

    strict (the API): an unknown facet value or sort is a 400 naming it. Lenient (the page): it is
    dropped and reported in `problems`. Both refuse a bad page or per_page with a 400."""
    params = SearchParams()
    q = " ".join((args.get("q") or "").split())
    if len(q) > MAX_QUERY_CHARS:
        q, params.truncated = q[:MAX_QUERY_CHARS], True
    params.q = q
    for facet in FACETS:
        values = []
        for raw in args.getlist(facet.name):
            for part in str(raw).split(","):
                if not part.strip():
                    continue
                value = facet.normalise(part)
                if value is None:
                    message = _("筛选条件 %(name)s 没有“%(value)s”这个取值。", name=facet.name, value=part.strip()[:40])
                    if strict:
                        raise BadSearch(message)
                    params.problems.append(message)
                elif value not in values:
                    values.append(value)
        if len(values) > MAX_FILTER_VALUES:
            raise BadSearch(_("筛选条件 %(name)s 最多 %(n)d 个取值。", name=facet.name, n=MAX_FILTER_VALUES))
        if values:
            params.filters[facet.name] = values
    sort = (args.get("sort") or "relevance").strip()
    if sort not in SORTS:
        message = _("排序方式应为 %(sorts)s 之一。", sorts="、".join(SORTS))
        if strict:
            raise BadSearch(message)
        params.problems.append(message)
        sort = "relevance"
    params.sort = sort
    params.page = _positive_int(args.get("page"), "page", 1)
    params.per_page = _positive_int(args.get("per_page"), "per_page", DEFAULT_PER_PAGE)
    if params.per_page > MAX_PER_PAGE:
        raise BadSearch(_("每页最多 %(n)d 条（per_page ≤ %(n)d）。", n=MAX_PER_PAGE))
    return params
