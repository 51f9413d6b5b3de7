"""The thin adapter over the Whoosh index: open, add, remove, read; generations swapped atomically.

SEARCH_INDEX_DIR holds generation directories (gen-<ns>/) and a symlink `current` to the live one;
a rebuild writes a new generation and replaces the symlink in one rename. One flock on
`.writer.lock` lets exactly one process or thread write at a time: others either wait (the indexer
command) or leave their outbox rows for later (the web process)."""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.codec import whoosh3

from .schema import make_schema


def _cached_reader(self, fieldname, column):
    """Whoosh 2.7 looks for a missing length column on disk once per posting of every unscored
    field (a stat call each: 40% of a rebuild); remember that it is missing."""
    if fieldname not in self._readers:
        self._readers[fieldname] = (self.column_reader(fieldname, column)
                                    if self.has_column(fieldname) else None)
    return self._readers[fieldname]


whoosh3.W3PerDocReader._cached_reader = _cached_reader

WRITER_LIMIT_MB = 256


class SearchIndex:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._read_lock = threading.Lock()
        self._searcher = None
        self._searcher_path: Path | None = None
        self._cache = None

    # --- generations -----------------------------------------------------------------

    @property
    def link(self) -> Path:
        return self.root / "current"

    def current(self) -> Path:
        if not self.link.exists():
            # A lock of its own: the caller may already hold the write lock.
            self.root.mkdir(parents=True, exist_ok=True)
            with open(self.root / ".create.lock", "a+") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                if not self.link.exists():
                    self.swap_in(self.new_generation())
        return self.link.resolve()

    def new_generation(self) -> Path:
        """An empty index in a fresh directory, not yet live."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f"gen-{time.time_ns()}"
        path.mkdir()
        whoosh_index.create_in(str(path), make_schema())
        return path

    def swap_in(self, generation: Path) -> None:
        """Make `generation` the live index atomically; older generations are removed."""
        temporary = self.root / f".current-{uuid.uuid4().hex}"
        os.symlink(generation.name, temporary)
        os.replace(temporary, self.link)
        for old in self.root.glob("gen-*"):
            if old.name != generation.name:
                shutil.rmtree(old, ignore_errors=True)  # open searchers keep their files (POSIX)

    @contextmanager
    def write_lock(self, blocking: bool = True):
        """Yields True when this caller may write; False (at once) when another writer holds it."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".writer.lock", "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # --- writing (the caller holds the write lock) ---------------------------------------

    def writer(self, path: Path | None = None, **options):
        ix = whoosh_index.open_dir(str(path or self.current()))
        options.setdefault("procs", 1)
        return ix.writer(limitmb=options.pop("limitmb", WRITER_LIMIT_MB), **options)

    def add(self, documents, path: Path | None = None) -> None:
        self.apply(documents, [], path)

    def remove(self, ids, path: Path | None = None) -> None:
        self.apply([], ids, path)

    def apply(self, documents, removed_ids, path: Path | None = None) -> None:
        """Add or replace `documents` and delete `removed_ids` in one index commit."""
        writer = self.writer(path)
        try:
            for doc_id in removed_ids:
                writer.delete_by_term("id", str(doc_id))
            for doc in documents:
                writer.update_document(**doc)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    # --- reading ---------------------------------------------------------------------

    @contextmanager
    def reading(self):
        """(searcher, cache) for the newest committed index; one reader at a time per process."""
        from .cache import ReaderCache

        with self._read_lock:
            path = self.current()
            if self._searcher is None or path != self._searcher_path:
                if self._searcher is not None:
                    self._searcher.close()
                self._searcher = whoosh_index.open_dir(str(path)).searcher()
                self._searcher_path, self._cache = path, None
            elif not self._searcher.up_to_date():
                fresh = self._searcher.refresh()
                if fresh is not self._searcher:
                    self._searcher, self._cache = fresh, None
            if self._cache is None:
                self._cache = ReaderCache(self._searcher)
            yield self._searcher, self._cache

    def doc_count(self) -> int:
        with self.reading() as (searcher, _cache):
            return searcher.doc_count()

    def close(self) -> None:
        with self._read_lock:
            if self._searcher is not None:
                self._searcher.close()
            self._searcher, self._cache = None, None


_indexes: dict[str, SearchIndex] = {}
_registry_lock = threading.Lock()


def get_index(root: str | None = None) -> SearchIndex:
    """The process-wide adapter for SEARCH_INDEX_DIR (one searcher and cache per directory)."""
    if root is None:
        from flask import current_app

        root = current_app.config["SEARCH_INDEX_DIR"]
    key = str(Path(root).resolve())
    with _registry_lock:
        if key not in _indexes:
            _indexes[key] = SearchIndex(key)
        return _indexes[key]
