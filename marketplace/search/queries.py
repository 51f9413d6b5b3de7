"""Running a search: the text query, who may see what, facet counts, sorting, pages, snippets."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

import numpy as np
from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape
from whoosh import qparser, query

from ..accounts.models import OrgKind
from ..patents.ipc_titles import subclass_label
from . import engine
from .facets import FACETS
from .index import get_index
from .params import SearchParams
from .schema import TEXT_FIELDS, make_schema
from .tokenizer import query_terms

_PARSER_CACHE: dict[str, qparser.QueryParser] = {}
_QUOTES = str.maketrans({"“": '"', "”": '"', "＂": '"', "（": "(", "）": ")"})


def make_parser(group) -> qparser.QueryParser:
    key = group.__name__
    if key not in _PARSER_CACHE:
        parser = qparser.MultifieldParser(list(TEXT_FIELDS), make_schema(), fieldboosts=TEXT_FIELDS,
                                          group=group)
        # Users may quote phrases, group, use AND/OR/NOT and -word; they may not name hidden fields
        # (kind:pledge), nor run wildcard or range scans.
        for plugin in (qparser.FieldsPlugin, qparser.WildcardPlugin, qparser.RangePlugin, qparser.EveryPlugin):
            parser.remove_plugin_class(plugin)
        parser.add_plugin(qparser.PlusMinusPlugin())
        _PARSER_CACHE[key] = parser
    return _PARSER_CACHE[key]


def terms_query(terms: list[str], group=query.And) -> query.Query | None:
    """A plain query over the text fields: each term in any field."""
    parts = [query.Or([query.Term(name, term, boost=boost) for name, boost in TEXT_FIELDS.items()])
             for term in terms]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else group(parts)


def text_query(q: str, *, any_term: bool = False) -> query.Query | None:
    """The user's query; syntax the parser cannot make sense of falls back to a plain terms query."""
    if not q:
        return None
    group = qparser.OrGroup.factory(0.9) if any_term else qparser.AndGroup
    try:
        parsed = make_parser(group).parse(q.translate(_QUOTES))
    except Exception:  # noqa: BLE001 - any parser failure means "read it as plain words"
        parsed = None
    if parsed is None or isinstance(parsed, query.qcore._NullQuery):
        plain = re.sub(r"[\"'()\[\]{}:^~*?+\-]|\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b", " ", q)
        return terms_query(query_terms(plain), query.Or if any_term else query.And)
    return parsed


def can_see_all_pledges(user) -> bool:
    """Banks review pledge requests: they see them all in search. Everyone else only their own."""
    return bool(user and user.is_authenticated and user.organization.kind == OrgKind.bank)


def visible_docs(cache, user) -> frozenset[int]:
    if can_see_all_pledges(user):
        return cache.alive
    hidden = cache.docs_with("kind", "pledge")
    if user is not None and user.is_authenticated:
        hidden = hidden - cache.docs_with("owner_id", str(user.organization_id))
    return cache.alive - hidden if hidden else cache.alive


@dataclass
class Hit:
    id: int
    title: str
    kind: str
    industry: str
    ipc: list[str]
    subclasses: list[str]
    holder: str
    holder_kind: str
    price: int | None
    published: int
    score: float
    title_html: Markup
    highlight: Markup
    reasons: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return url_for("listings.detail", listing_id=self.id)

    def as_json(self) -> dict:
        return {"id": self.id, "title": self.title, "kind": self.kind, "ipc": self.ipc, "holder": self.holder,
                "score": round(self.score, 4), "url": self.url, "highlight": str(self.highlight)}


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class FacetResult:
    name: str
    title: str
    values: list[FacetValue]

    def as_json(self) -> list[dict]:
        return [{"value": v.value, "label": v.label, "count": v.count, "selected": v.selected} for v in self.values]


@dataclass
class SearchResult:
    params: SearchParams
    total: int
    hits: list[Hit]
    facets: list[FacetResult]
    terms: list[str] = field(default_factory=list)
    relaxed: bool = False  # no result had every word: these have some of them
    drop_suggestions: list[tuple[str, str, int, dict]] = field(default_factory=list)  # (facet title, label, n, args)
    predicted: list[tuple[str, str]] = field(default_factory=list)  # (subclass, label) the text is likely about

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.params.per_page))

    def as_json(self) -> dict:
        return {"total": self.total, "results": [hit.as_json() for hit in self.hits],
                "facets": {facet.name: facet.as_json() for facet in self.facets}}


def _filter_sets(cache, params: SearchParams) -> dict[str, frozenset[int] | set[int]]:
    sets = {}
    for name, values in params.filters.items():
        docs: set[int] = set()
        for value in values:
            docs |= cache.docs_with(name, value)
        sets[name] = docs
    return sets


def _intersect(base, sets) -> set[int] | frozenset[int]:
    result = base
    for docs in sorted(sets, key=len):
        result = result & docs
        if not result:
            break
    return result


def search(params: SearchParams, user=None, *, facets: bool = True, only_ids: set[int] | None = None,
           stated_subclasses: tuple[str, ...] = ()) -> SearchResult:
    """One search as the page, the API, matching and the digests run it (see engine.py): keywords
    match precisely and rank by BM25; a sentence (or keywords nothing has all of) is read as a
    weighted need and only listings above the engine's threshold are results. `only_ids` limits
    it to some listings; `stated_subclasses` are IPC subclasses a demand names."""
    index = get_index()
    q = params.q.strip()
    terms = query_terms(q) if q else []
    with index.reading() as (searcher, cache):
        visible = visible_docs(cache, user)
        if only_ids is not None:
            wanted = (searcher.document_number(id=str(i)) for i in only_ids)
            visible = visible & {d for d in wanted if d is not None}
        parsed = text_query(q) if q and engine.is_keyword_query(q) and not stated_subclasses else None
        relaxed, plan, scores = False, None, None
        base = _matching(searcher, cache, parsed, visible)
        # A phrase typed without spaces that only a handful of listings contain word for word
        # ("激光焊接装置"): those come first, then what the weighted reading finds. Words the user
        # separated ("锂电池 正极") or syntax keep their precise meaning.
        top_up = bool(parsed is not None and 0 < len(base) < params.per_page and len(terms) > 1
                      and not re.search(r"\s", q) and not engine.has_syntax(q))
        if q and (parsed is None or (not base and len(terms) > 1) or top_up):
            table = engine.doc_table(cache)
            mask = engine.mask_of(visible, table.size)
            plan = engine.plan_for(q, cache, tuple(stated_subclasses))
            scores = engine.score(plan, cache)
            weighted = set(np.flatnonzero(engine.relevant(scores) & mask).tolist())
            if top_up:
                exact = np.fromiter(base, dtype=np.int64, count=len(base))
                scores.total = scores.total.copy()
                scores.total[exact] += EXACT_FIRST
                base = set(base) | weighted
            else:
                base = weighted
                relaxed = bool(base) and not (engine.docs_with_every_term(plan) & base)
            terms = plan.terms
        filter_sets = _filter_sets(cache, params)
        final = _intersect(base, filter_sets.values())
        total = len(final)
        offset = (params.page - 1) * params.per_page
        limit = offset + params.per_page
        if scores is not None and params.sort == "relevance":
            ranked = _rank_scores(scores.total, final, limit)[offset:]
        else:
            ranked = _rank(searcher, cache, parsed, None, final, params, limit)[offset:]
        hits = []
        for docnum, value in ranked:
            hit = _hit(cache.searcher, docnum, value, terms)
            if scores is not None:
                hit.reasons = engine.reasons(plan, scores, docnum, hit.subclasses)
            elif terms:
                hit.reasons = [_("包含：%(terms)s", terms="、".join(terms[:6]))]
            hits.append(hit)
        facet_results = _facets(cache, params, base, filter_sets) if facets else []
        suggestions = []
        if total == 0 and filter_sets:
            for name in filter_sets:
                others = [docs for other, docs in filter_sets.items() if other != name]
                n = len(_intersect(base, others))
                if n:
                    facet = next(f for f in FACETS if f.name == name)
                    label = "、".join(facet.label(v) for v in params.filters[name])
                    suggestions.append((str(facet.title), label, n, params.without(name)))
        if plan is None and total == 0 and q:  # nothing had these words: what might they be about?
            plan = engine.plan_for(q, cache)
    result = SearchResult(params, total, hits, facet_results, terms, relaxed, suggestions)
    result.predicted = [(s, subclass_label(s)) for s in plan.subclasses] if plan is not None else []
    return result


EXACT_FIRST = 100.0  # above any weighted score: listings with every word of a short query lead


def _rank_scores(values: np.ndarray, final, limit: int) -> list[tuple[int, float]]:
    if limit <= 0 or not final:
        return []
    docs = np.fromiter(final, dtype=np.int64, count=len(final))
    order = np.lexsort((docs, -values[docs]))[:limit]  # best first; ties by index order
    return [(int(docs[i]), float(values[docs[i]])) for i in order]


def _matching(searcher, cache, q, visible):
    if q is None:
        return visible
    return _docs(searcher, cache, q) & visible


def _docs(searcher, cache, q: query.Query):
    """The documents a query matches, from cached per-term sets (set algebra in C, not matchers)."""
    if isinstance(q, query.Term):
        return cache.term_docs(q.fieldname, q.text)
    if isinstance(q, query.Or):
        result: set[int] = set()
        for sub in q.subqueries:
            result |= _docs(searcher, cache, sub)
        return result
    if isinstance(q, query.And):
        return _intersect(cache.alive, [_docs(searcher, cache, sub) for sub in q.subqueries])
    if isinstance(q, query.AndNot):
        return _docs(searcher, cache, q.a) - _docs(searcher, cache, q.b)
    if isinstance(q, query.AndMaybe):
        return _docs(searcher, cache, q.a)
    if isinstance(q, query.Not):
        return cache.alive - _docs(searcher, cache, q.query)
    return frozenset(searcher.docs_for_query(q))


def prune(searcher, q: query.Query | None) -> query.Query | None:
    """Drop terms no document has (most words never occur in the holder or number fields), so the
    scorer walks fewer postings."""
    if q is None:
        return None
    if isinstance(q, query.Term):
        return q if searcher.reader().doc_frequency(q.fieldname, q.text) else None
    if isinstance(q, query.Or | query.And):
        kept = [p for p in (prune(searcher, sub) for sub in q.subqueries) if p is not None]
        if isinstance(q, query.And) and len(kept) < len(q.subqueries):
            return None
        if not kept:
            return None
        return kept[0] if len(kept) == 1 and q.boost == 1 else q.__class__(kept, boost=q.boost)
    return q


def _rank(searcher, cache, q, boosts, final, params: SearchParams, limit: int) -> list[tuple[int, float]]:
    if limit <= 0 or not final:
        return []
    if params.sort == "relevance" and q is not None:
        scored = prune(searcher, q) or q
        scored = scored if boosts is None else query.AndMaybe(scored, boosts)
        allowed = final if isinstance(final, set) else set(final)  # Whoosh takes a set, not a frozenset
        results = searcher.search(scored, filter=allowed, limit=limit)
        return [(hit.docnum, hit.score or 0.0) for hit in results]
    field = "price" if params.sort.startswith("price") else "published"
    order = cache.order(field)  # ascending; negotiable prices (-1) first
    column = cache.reader.column_reader(field)
    if params.sort == "price_asc":
        def key(docnum):
            return (column[docnum] < 0, column[docnum])  # negotiable prices last

        split = cache.negative_prefix(field)
        candidates = itertools.chain(order[split:], order[:split])
    else:
        def key(docnum):
            return (-column[docnum],)

        candidates = reversed(order)
    if len(final) * 8 < len(order):  # few documents: sort them directly
        return [(d, 0.0) for d in sorted(final, key=key)[:limit]]
    picked = []
    for docnum in candidates:  # many: walk the global order until the page is full
        if docnum in final:
            picked.append(docnum)
            if len(picked) >= limit:
                break
    return [(d, 0.0) for d in picked]


def _facets(cache, params: SearchParams, base, filter_sets) -> list[FacetResult]:
    results = []
    for facet in FACETS:
        # A facet's counts ignore its own filter, so the other values stay reachable.
        scope = _intersect(base, [docs for name, docs in filter_sets.items() if name != facet.name])
        selected = params.filters.get(facet.name, [])
        counts = []
        if scope:
            for value, docs in cache.values(facet.name).items():
                n = len(docs & scope) if len(docs) < len(scope) else len(scope & docs)
                if n or value in selected:
                    counts.append((value, n))
        for value in selected:
            if value not in dict(counts):
                counts.append((value, 0))
        counts.sort(key=lambda item: (-item[1], item[0]))
        if facet.name == "kind":
            counts = [c for c in counts if c[0] != "pledge" or c[1] or c[0] in selected]
        top = counts[: facet.top]
        top += [c for c in counts[facet.top:] if c[0] in selected]
        values = [FacetValue(v, facet.label(v), n, v in selected) for v, n in top]
        results.append(FacetResult(facet.name, str(facet.title), values))
    return results


def _hit(searcher, docnum: int, score: float, terms: list[str]) -> Hit:
    fields = searcher.stored_fields(docnum)
    codes = fields.get("ipc_codes") or []
    price = fields.get("price")
    return Hit(
        id=int(fields["id"]), title=fields.get("name", ""), kind=fields.get("kind", ""),
        industry=fields.get("industry", ""), ipc=codes,
        subclasses=[s for s in (fields.get("ipc_subclass") or "").split(",") if s],
        holder=fields.get("holder_name", ""), holder_kind=fields.get("holder_kind", ""),
        price=None if price is None or price < 0 else price, published=fields.get("published") or 0,
        score=float(score), title_html=highlight(fields.get("name", ""), terms, whole=True),
        highlight=highlight(fields.get("summary", ""), terms),
    )


SNIPPET_CHARS = 120


def highlight(text: str, terms: list[str], *, whole: bool = False) -> Markup:
    """The text (or a window around the first match) with the query's words in <mark>."""
    words = sorted({t for t in terms if t and len(t) >= 1}, key=len, reverse=True)
    if not words or not text:
        return escape(text if whole else text[:SNIPPET_CHARS])
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    if not whole:
        first = pattern.search(text)
        start = max(0, (first.start() if first else 0) - 30)
        window = text[start:start + SNIPPET_CHARS]
        prefix = "…" if start else ""
        suffix = "…" if start + SNIPPET_CHARS < len(text) else ""
        text = prefix + window + suffix
    out, pos = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[pos:match.start()]))
        out.append(Markup("<mark>") + escape(match.group(0)) + Markup("</mark>"))
        pos = match.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)
