"""Small helpers shared by the test modules: counting rows, reading the outbox, parsing pages."""

from __future__ import annotations

import html
import random
import re
from urllib.parse import urlsplit

from marketplace.demo.names import make_uscc
from marketplace.extensions import db
from marketplace.notify.models import OutboxMail

INVALID_USCC = "91350102MA2XXXXXX1"  # 18 characters, wrong check digit


def fresh_uscc(seed: int) -> str:
    """A valid USCC from its own random stream, apart from the factory's."""
    return make_uscc(random.Random(10_000 + seed))


def count(model, *where) -> int:
    query = db.select(db.func.count()).select_from(model)
    if where:
        query = query.where(*where)
    return db.session.scalar(query)


def mails_to(address: str) -> list[OutboxMail]:
    return list(db.session.scalars(
        db.select(OutboxMail).where(OutboxMail.to_address == address).order_by(OutboxMail.id)
    ))


def link_in(body: str, path_prefix: str) -> str:
    """The path (with token) of the first link in a mail body that starts with path_prefix."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s]+)", body)
    assert match, f"no {path_prefix} link in {body!r}"
    return match.group(1)


def location_path(response) -> str:
    """Where a redirect points, as a local path; fails if it leaves the site."""
    parts = urlsplit(response.headers["Location"])
    assert parts.netloc in ("", "localhost"), response.headers["Location"]
    return parts.path + (f"?{parts.query}" if parts.query else "")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def field_error(response, field_id: str) -> str:
    """The error rendered beside one form field: the input points at it (aria-describedby)."""
    page = response.get_data(as_text=True)
    field = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{re.escape(field_id)}"[^>]*>', page)
    assert field, f"no field {field_id!r} on the page"
    if f'aria-describedby="{field_id}-error"' not in field.group(0):
        return ""
    match = re.search(rf'<div class="invalid-feedback" id="{re.escape(field_id)}-error">(.*?)</div></div>', page, re.S)
    assert match, f"{field_id} points at an error that is not rendered"
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def csrf_token_in(response) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"',
                      response.get_data(as_text=True))
    assert match, "no csrf_token in the page"
    return match.group(1) or match.group(2)


class HashingEncoder:
    """A deterministic stand-in for the e5 model (SEARCH_ENCODER in tests): a text's meaningful
    words hashed into a unit vector, so texts sharing words are close and others orthogonal."""

    model_id = "test-hashing"
    cos_floor = 0.0
    cos_full = 0.8
    dim = 384

    def _one(self, text: str):
        import hashlib

        import numpy as np

        from marketplace.search.engine import meaningful_terms

        vector = np.zeros(self.dim, dtype=np.float32)
        for term in meaningful_terms(text):
            digest = hashlib.sha1(term.encode()).digest()
            vector[int.from_bytes(digest[:4], "big") % self.dim] += 1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def query(self, texts):
        import numpy as np

        return self._one(texts) if isinstance(texts, str) else np.stack([self._one(t) for t in texts])

    passage = query
