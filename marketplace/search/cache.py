"""Per-searcher caches: the documents of every facet value and the sort orders.

Built once per index generation or commit, so facet counts and filters are set operations (in C)
instead of Python loops over postings."""

from __future__ import annotations

from whoosh.reading import TermNotFound

from .facets import FACETS


class ReaderCache:
    def __init__(self, searcher):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.alive = frozenset(self.reader.all_doc_ids())
        self._values: dict[str, dict[str, frozenset[int]]] = {}
        self._orders: dict[str, list[int]] = {}
        self._terms: dict[tuple[str, str], frozenset[int]] = {}
        self._docnums: dict[int, int | None] = {}

    def values(self, field: str) -> dict[str, frozenset[int]]:
        """value → documents having it (deleted documents left out)."""
        if field not in self._values:
            table = {}
            for term in self.reader.lexicon(field):
                docs = frozenset(self.reader.postings(field, term).all_ids()) & self.alive
                if docs:
                    table[term.decode("utf-8")] = docs
            self._values[field] = table
        return self._values[field]

    def docnums(self, listing_ids) -> frozenset[int]:
        """The documents of these listings (those indexed), remembered for this reader."""
        found = set()
        for listing_id in listing_ids:
            if listing_id not in self._docnums:
                self._docnums[listing_id] = self.searcher.document_number(id=str(listing_id))
            docnum = self._docnums[listing_id]
            if docnum is not None:
                found.add(docnum)
        return frozenset(found) & self.alive

    def docs_with(self, field: str, value: str) -> frozenset[int]:
        return self.values(field).get(value, frozenset())

    def warm(self) -> None:
        for facet in FACETS:
            self.values(facet.name)
        self.values("owner_id")
        for field in ("published", "price"):
            self.order(field)

    def order(self, field: str) -> list[int]:
        """Live documents by ascending value of a sortable numeric field."""
        if field not in self._orders:
            column = self.reader.column_reader(field)
            self._orders[field] = sorted(self.alive, key=lambda docnum: column[docnum])
        return self._orders[field]

    def negative_prefix(self, field: str) -> int:
        """How many documents at the start of `order(field)` have a negative value (unknown price)."""
        key = field + ":negative"
        if key not in self._orders:
            column = self.reader.column_reader(field)
            order = self.order(field)
            count = 0
            while count < len(order) and column[order[count]] < 0:
                count += 1
            self._orders[key] = [count]
        return self._orders[key][0]

    TERM_CACHE_SIZE = 4096

    def term_docs(self, field: str, text: str) -> frozenset[int]:
        """Documents containing a term (deleted ones included: callers intersect with alive)."""
        key = (field, text)
        docs = self._terms.get(key)
        if docs is None:
            if len(self._terms) >= self.TERM_CACHE_SIZE:
                self._terms.clear()
            try:
                docs = frozenset(self.reader.postings(field, text).all_ids())
            except TermNotFound:
                docs = frozenset()
            self._terms[key] = docs
        return docs
