"""Chinese word segmentation for Whoosh: rjieba words with word positions, IPC codes and numbers kept whole.

At index time each precise-mode word takes one position and the shorter dictionary words inside it
(jieba's search mode) share that position, so a quoted phrase segmented differently in the query
("锂离子电池") still matches the document ("锂离子/电池组"). Queries use precise mode only."""

from __future__ import annotations

import re

import rjieba
from whoosh.analysis import Token, Tokenizer

# Special tokens found before segmentation: IPC codes (G06F, H01M10/052, G06F 16/35), Chinese
# application numbers (CN202211740332.4, 2022117403324) and publication numbers (CN116510786B).
_SPECIAL = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"(?P<ipc>[A-Ha-h]\d{2}[A-Za-z](?:\s?\d{1,4}\s?/\s?\d{2,6})?)"
    r"|(?P<pub>[Cc][Nn]\d{6,9}[A-Za-z]\d?)"
    r"|(?P<app>(?:[Cc][Nn]|[Zz][Ll])?\s?(?:\d{12}|\d{8})\.?[\dXx])"
    r")(?![A-Za-z0-9])"
)
_WORDLIKE = re.compile(r"[\w\u4e00-\u9fff]")

# Function words and filler that carry no meaning for retrieval (both at index and query time,
# so positions stay consistent for phrases).
_STOPWORD_TEXT = (
    "的 了 和 与 及 或 在 是 为 对 将 把 被 由 于 以 其 该 所 所述 一种 一个 一 个 等 中 上 下 之 而 并 且 也 就 "
    "都 又 从 到 向 给 让 使 能 可 可以 能够 用 用于 通过 进行 包括 具有 设有 实现 我们 我 你 您 他 她 它 "
    "想 要 需要 希望 想要 找 寻找 有没有 有 没有 什么 怎么 如何 哪些 一些 这个 那个 这 那 这种 能否 是否 "
    "the a an of and or to in for on with by is are"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def canonical_special(kind: str, text: str) -> list[str]:
    """The token(s) a special span stands for: an IPC code also yields its subclass."""
    compact = re.sub(r"\s+", "", text).lower()
    if kind == "ipc":
        if "/" in compact:
            head, sub = compact.split("/", 1)
            code = f"{head[:4]}{int(head[4:])}/{sub}"
            return [code, compact[:4]]
        return [compact]
    if kind == "app":
        digits = re.sub(r"^(cn|zl)", "", compact).replace(".", "")
        return [f"{digits[:-1]}.{digits[-1]}"]
    return [compact]


def _segments(text: str):
    """Split text into (is_special, kind, start, end) spans."""
    pos = 0
    for match in _SPECIAL.finditer(text):
        if match.start() > pos:
            yield False, None, pos, match.start()
        yield True, match.lastgroup, match.start(), match.end()
        pos = match.end()
    if pos < len(text):
        yield False, None, pos, len(text)


def words(text: str, *, search_mode: bool = False):
    """(word, position, startchar, endchar) for every kept word; positions count words, not characters."""
    position = 0
    for special, kind, start, end in _segments(text):
        if special:
            tokens = canonical_special(kind, text[start:end])
            # A full IPC code also stands for its subclass in the index; a query asks for what it says.
            for token in tokens if search_mode else tokens[:1]:
                yield token, position, start, end
            position += 1
            continue
        chunk = text[start:end]
        if not search_mode:
            for word, s, e in rjieba.tokenize(chunk):
                token = word.strip().lower()
                if token and _WORDLIKE.search(token) and token not in STOPWORDS:
                    yield token, position, start + s, start + e
                    position += 1
            continue
        # Search mode yields, for each precise word, the dictionary words inside it and then the
        # word itself. Read backwards, each precise word comes first and ends where (or before) the
        # one after it starts: that splits the tokens into words; the words inside share a position.
        groups: list[list[tuple[str, int, int]]] = []
        group_start = None
        for token in reversed(rjieba.tokenize(chunk, mode="search")):
            if group_start is None or token[2] <= group_start:
                groups.append([])
                group_start = token[1]
            groups[-1].append(token)
        for group in reversed(groups):
            kept = False
            for word, s, e in reversed(group):
                token = word.strip().lower()
                if token and _WORDLIKE.search(token) and token not in STOPWORDS:
                    yield token, position, start + s, start + e
                    kept = True
            if kept:
                position += 1


class JiebaTokenizer(Tokenizer):
    """A Whoosh tokenizer over `words`: search mode when indexing, precise mode for queries."""

    def __eq__(self, other):
        return other.__class__ is self.__class__

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        for word, position, s, e in words(value, search_mode=(mode == "index")):
            token.text = word
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = start_pos + position
            if chars:
                token.startchar, token.endchar = start_char + s, start_char + e
            yield token


def ChineseAnalyzer():  # noqa: N802 - Whoosh names analyzers like classes
    return JiebaTokenizer()


def query_terms(text: str) -> list[str]:
    """Distinct precise-mode terms of a text, in order: what a query or a demand is about."""
    seen: list[str] = []
    for word, _pos, _s, _e in words(text or ""):
        if word not in seen:
            seen.append(word)
    return seen
