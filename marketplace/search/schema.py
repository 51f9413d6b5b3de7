"""The Whoosh schema of the listing index, and the document a listing becomes."""

from __future__ import annotations

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from ..listings.models import Listing
from ..listings.pricing import price_of
from .tokenizer import ChineseAnalyzer

SUMMARY_CHARS = 240  # stored for snippets; the full text is indexed, not stored

# Field weights used by every query over the text fields.
TEXT_FIELDS = {"title": 3.0, "body": 1.0, "ipc": 2.0, "holder": 1.5, "numbers": 4.0}


def make_schema() -> Schema:
    analyzer = ChineseAnalyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=analyzer),  # listing title and patent titles
        body=TEXT(analyzer=analyzer),  # abstracts, description, industry
        ipc=TEXT(analyzer=analyzer),  # codes and subclasses, as words
        holder=TEXT(analyzer=analyzer),
        numbers=TEXT(analyzer=analyzer),  # application and publication numbers
        # facets
        kind=ID(stored=True),
        industry=ID(stored=True),
        ipc_section=KEYWORD(commas=True),
        ipc_subclass=KEYWORD(commas=True, stored=True),
        patent_type=KEYWORD(commas=True),
        holder_kind=ID(stored=True),
        price_band=ID(),
        owner_id=ID(stored=True),
        # sorting
        published=NUMERIC(bits=64, sortable=True, stored=True),
        price=NUMERIC(bits=64, sortable=True, stored=True),  # yuan, -1 when negotiable
        # shown in results
        name=STORED(),
        holder_name=STORED(),
        ipc_codes=STORED(),
        summary=STORED(),
    )


def document(listing: Listing) -> dict:
    """The index document of a live listing (the caller decides whether it is live)."""
    patents = listing.patents
    codes: list[str] = []
    for patent in patents:
        for code in patent.ipc_codes or []:
            if code not in codes:
                codes.append(code)
    subclasses = list(dict.fromkeys(code[:4] for code in codes))
    sections = list(dict.fromkeys(code[0] for code in codes))
    abstracts = [p.abstract for p in patents if p.abstract]
    summary_source = listing.description or (abstracts[0] if abstracts else "") or "；".join(p.title for p in patents)
    numbers = " ".join(n for p in patents for n in (p.number, p.pub_no) if n)
    price = price_of(listing)
    published = listing.published_at or listing.created_at
    return {
        "id": str(listing.id),
        "title": "\n".join(dict.fromkeys([listing.title, *(p.title for p in patents)])),
        "body": "\n".join([listing.description or "", *abstracts, listing.industry.label]),
        "ipc": " ".join(codes + subclasses),
        "holder": listing.owner.name,
        "numbers": numbers,
        "kind": listing.kind.value,
        "industry": listing.industry.value,
        "ipc_section": ",".join(sections),
        "ipc_subclass": ",".join(subclasses),
        "patent_type": ",".join(dict.fromkeys(p.patent_type.value for p in patents)),
        "holder_kind": listing.owner.kind.value,
        "price_band": price.band,
        "owner_id": str(listing.owner_id),
        "published": int(published.timestamp()) if published else 0,
        "price": int(price.sort_amount) if price.sort_amount is not None else -1,
        "name": listing.title,
        "holder_name": listing.owner.name,
        "ipc_codes": codes[:12],
        "summary": summary_source[:SUMMARY_CHARS],
    }
