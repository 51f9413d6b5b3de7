"""The ranking engine behind every search and match: the search page, /api/v1/search, demand →
listings, listing → demands and enterprises, and the digests all read a text through `plan_for`
and score listings with `score`, so one text gets one answer (scores and reasons) everywhere.

A short keyword query keeps its precise meaning (every word, or the user's own AND/OR/quotes) and
is ranked by BM25 in queries.py. A sentence or a demand is read as a weighted need:

- lexical: the IDF-weighted share of its meaningful terms a listing contains (a term in the title
  counts fully, in the abstract partly); generic words (方法, 装置, 处理 …) are not terms at all;
- semantic: the cosine of the sentence's and the listing's embeddings, rescaled between the
  encoder's "unrelated" and "same" cosines;
- an IPC prior learned from the registry: the subclasses of the listings nearest to the text vote
  for what it is probably about ("可能属于 H01M 电池、燃料电池"), and listings in those subclasses
  rank higher.

score = LEXICAL·lexical + SEMANTIC·semantic + PRIOR·prior; a listing is a match only when its score
reaches THRESHOLD and it shares a meaningful term or is semantically close: a shared subclass or a
generic word never makes a match alone."""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from flask import current_app
from flask_babel import gettext as _

from ..patents.ipc_titles import subclass_label
from .embeddings import encoder_id, get_encoder, get_store
from .tokenizer import _SPECIAL, query_terms

# Words that say nothing about which technology is meant: never a term, never a reason.
_GENERIC_TEXT = (
    "处理 方法 装置 系统 结构 材料 控制 制备 结果 中试 加工 技术 方案 产品 设备 应用 用途 及其 工艺 问题 "
    "提高 提升 降低 减少 改进 改善 解决 实现 效果 效率 成本 质量 性能 能力 方面 相关 合作 专利 购买 引进 "
    "公司 企业 我们 我司 工厂 厂 客户 现在 目前 经常 比较 更好 一下 一套 新 好 多 少 大 小 高 低 快 慢 "
    "一种 基于 利用 使用 采用 包含 组成 部分 模块 单元 组件 机构 方式 过程 步骤 生产 制造 工作 运行 "
    "有效 简单 方便 快速 容易 不好 不够 太 很 老是 总是 出来 起来 东西 办法 想办法 弄 搞 做 用 能 会 "
    "帮 帮着 自动 智能 新型 改进型 一体化 多功能 及 其 特征 所述 本发明 发明 公开 涉及 属于 领域"
)
GENERIC = frozenset(_GENERIC_TEXT.split())

KEYWORD_MAX_CHARS = 8  # a query this short (spaces aside) with few words is read as keywords
KEYWORD_MAX_TERMS = 3
_SYNTAX = re.compile(r"[\"“”＂()（）]|(?:^|\s)[+\-]\S|\b(?:AND|OR|NOT)\b")
_SENTENCE_MARKS = re.compile(r"[，。！？；、,.!?;]")

# Tuned on bench/eval/dev.jsonl only (bench/search_bench.py --set dev).
LEXICAL = 1.0
SEMANTIC = 1.0
PRIOR = 0.6
THRESHOLD = 1.0  # on dev: sentences keep tens to hundreds of listings, not the whole corpus
TITLE_MATCH = 1.0
BODY_MATCH = 0.6
SEMANTIC_ALONE = 0.35  # semantic closeness that makes a match without a shared term
VOTERS = 30  # nearest listings that vote for the text's subclasses
MIN_SHARE = 0.12  # a subclass needs this share of the votes to be predicted
MAX_PREDICTED = 4
HINT_SHARE = 1.0  # a subclass the demand states counts as a certain prediction


def meaningful_terms(text: str) -> list[str]:
    return [t for t in query_terms(text) if t not in GENERIC and not (len(t) == 1 and not t.isascii())]


def has_syntax(q: str) -> bool:
    """Quotes, brackets, AND/OR/NOT or -word: the user says exactly what to match."""
    return bool(_SYNTAX.search(q))


def is_keyword_query(q: str) -> bool:
    """Keywords keep precise semantics; a sentence or a demand is read as a weighted need."""
    if has_syntax(q):
        return True
    rest = _SPECIAL.sub(" ", q)  # patent numbers and IPC codes are keywords whatever their length
    if _SENTENCE_MARKS.search(rest):
        return False
    return len(re.sub(r"\s+", "", rest)) <= KEYWORD_MAX_CHARS and len(query_terms(q)) <= KEYWORD_MAX_TERMS


# --- the per-index tables ----------------------------------------------------------------

class DocTable:
    """Arrays over the index's document numbers: listing ids, vectors, subclasses. One per reader."""

    def __init__(self, cache, store_version: int):
        self.cache = cache
        reader = cache.reader
        self.size = reader.doc_count_all()
        self.store_version = store_version
        self.ids = np.full(self.size, -1, dtype=np.int64)
        for value, docs in cache.values("id").items():
            for docnum in docs:
                self.ids[docnum] = int(value)
        self.subclasses: list[list[str]] = [[] for _ in range(self.size)]
        for subclass, docs in cache.values("ipc_subclass").items():
            for docnum in docs:
                self.subclasses[docnum].append(subclass)
        self.vectors: np.ndarray | None = None
        vectors = get_store().load()
        if vectors:
            matrix = np.zeros((self.size, len(next(iter(vectors.values())))), dtype=np.float32)
            for docnum in cache.alive:
                vector = vectors.get(int(self.ids[docnum]))
                if vector is not None:
                    matrix[docnum] = vector
            self.vectors = matrix
        self.voters = mask_of(cache.alive - cache.docs_with("kind", "pledge"), self.size)
        self.plans: OrderedDict[tuple, Plan] = OrderedDict()

    def docs(self, field: str, term: str) -> np.ndarray:
        found = self.cache.term_docs(field, term) & self.cache.alive
        return np.sort(np.fromiter(found, dtype=np.int64, count=len(found)))

    def subclass_docs(self, subclass: str) -> np.ndarray:
        found = self.cache.docs_with("ipc_subclass", subclass)
        return np.fromiter(found, dtype=np.int64, count=len(found))


_tables_lock = threading.Lock()


def doc_table(cache) -> DocTable:
    """The table of this reader, rebuilt when the listing vectors changed."""
    version = get_store().version()
    with _tables_lock:
        table = getattr(cache, "doc_table", None)
        if table is None or table.store_version != version:
            table = DocTable(cache, version)
            cache.doc_table = table
        return table


_query_vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_query_lock = threading.Lock()


def query_vector(text: str) -> np.ndarray:
    key = (encoder_id(current_app), text)
    with _query_lock:
        if key in _query_vectors:
            _query_vectors.move_to_end(key)
            return _query_vectors[key]
    vector = np.asarray(get_encoder().query(text), dtype=np.float32)
    with _query_lock:
        _query_vectors[key] = vector
        if len(_query_vectors) > 2048:
            _query_vectors.popitem(last=False)
    return vector


# --- plans and scores ----------------------------------------------------------------------

@dataclass
class Plan:
    """A text read as a need: its terms with weights, its vector, its predicted subclasses."""

    text: str
    terms: list[str]
    weights: list[float]
    term_title: list[np.ndarray]
    term_body: list[np.ndarray]
    vector: np.ndarray | None
    subclasses: dict[str, float] = field(default_factory=dict)  # subclass → share (1.0 = surest)
    stated: list[str] = field(default_factory=list)
    lexical: np.ndarray | None = None  # per document, computed once per plan
    semantic: np.ndarray | None = None
    missing: list[str] = field(default_factory=list)  # meaningful words no listing has


@dataclass
class Scores:
    total: np.ndarray
    lexical: np.ndarray
    semantic: np.ndarray
    prior: np.ndarray


def _floor_full():
    encoder = get_encoder()
    return getattr(encoder, "cos_floor", 0.0), getattr(encoder, "cos_full", 1.0)


def _lexical(plan: Plan, size: int) -> np.ndarray:
    lexical = np.zeros(size, dtype=np.float32)
    total = sum(plan.weights)
    for weight, title, body in zip(plan.weights, plan.term_title, plan.term_body, strict=True):
        match = np.zeros(size, dtype=np.float32)
        match[body] = BODY_MATCH
        match[title] = TITLE_MATCH
        lexical += weight * match
    return lexical / total if total else lexical


def _semantic(plan: Plan, table: DocTable) -> np.ndarray:
    if plan.vector is None or table.vectors is None:
        return np.zeros(table.size, dtype=np.float32)
    floor, full = _floor_full()
    cosines = table.vectors @ plan.vector
    return np.clip((cosines - floor) / (full - floor), 0.0, 1.0).astype(np.float32)


def plan_for(text: str, cache, stated: tuple[str, ...] = ()) -> Plan:
    """How the engine reads `text` (cached per index reader and vector version). It depends on the
    text and the registry only, never on who asks, so every caller gets the same scores."""
    table = doc_table(cache)
    key = (text, stated)
    if key in table.plans:
        table.plans.move_to_end(key)
        return table.plans[key]
    terms = meaningful_terms(text)
    weights, titles, bodies = [], [], []
    alive = max(len(cache.alive), 1)
    kept = []
    for term in terms:
        title = table.docs("title", term)
        body = np.union1d(table.docs("body", term), table.docs("ipc", term))
        df = len(np.union1d(title, body))
        if not df:
            continue  # a word no listing has ranks nothing: leaving it in would only dilute the others
        kept.append(term)
        weights.append(math.log(1 + alive / (1 + df)))
        titles.append(title)
        bodies.append(body)
    missing = [t for t in terms if t not in kept]
    terms = kept
    vector = query_vector(text) if table.vectors is not None and text.strip() else None
    plan = Plan(text, terms, weights, titles, bodies, vector, stated=list(stated), missing=missing)
    plan.lexical = _lexical(plan, table.size)
    plan.semantic = _semantic(plan, table)
    plan.subclasses = _predict(plan, table)
    table.plans[key] = plan
    if len(table.plans) > 512:
        table.plans.popitem(last=False)
    return plan


def _predict(plan: Plan, table: DocTable) -> dict[str, float]:
    """The text's likely IPC subclasses: voted by its nearest public listings (pledge requests
    teach nothing about what is on offer), weighted by closeness."""
    closeness = LEXICAL * plan.lexical + SEMANTIC * plan.semantic
    closeness = np.where(table.voters, closeness, 0.0)
    voters = np.argpartition(-closeness, min(VOTERS, table.size - 1))[:VOTERS] if table.size > VOTERS else \
        np.arange(table.size)
    votes: dict[str, float] = {}
    for docnum in voters:
        weight = float(closeness[docnum])
        if weight <= 0:
            continue
        own = table.subclasses[docnum]
        for subclass in own:
            votes[subclass] = votes.get(subclass, 0.0) + weight / len(own)
    predicted: dict[str, float] = {}
    if votes:
        top = max(votes.values())
        ranked = sorted(votes.items(), key=lambda item: -item[1])
        total = sum(votes.values())
        predicted = {s: v / top for s, v in ranked[:MAX_PREDICTED] if v / total >= MIN_SHARE}
    for subclass in plan.stated:
        predicted[subclass] = HINT_SHARE
    return predicted


def score(plan: Plan, cache) -> Scores:
    """Every document's score for a plan (numpy over the whole index: a few milliseconds)."""
    table = doc_table(cache)
    lexical, semantic = plan.lexical, plan.semantic
    prior = np.zeros(table.size, dtype=np.float32)
    for subclass, share in plan.subclasses.items():
        docs = table.subclass_docs(subclass)
        prior[docs] = np.maximum(prior[docs], share)
    total = LEXICAL * lexical + SEMANTIC * semantic + PRIOR * prior
    return Scores(total, lexical, semantic, prior)


def relevant(scores: Scores) -> np.ndarray:
    """The documents that are a match: above the threshold, for a meaningful reason."""
    reason = (scores.lexical > 0) | (scores.semantic >= SEMANTIC_ALONE)
    return (scores.total >= THRESHOLD) & reason


def docs_with_every_term(plan: Plan) -> set[int]:
    if not plan.terms or plan.missing:
        return set()
    found = None
    for title, body in zip(plan.term_title, plan.term_body, strict=True):
        docs = np.union1d(title, body)
        found = docs if found is None else np.intersect1d(found, docs, assume_unique=True)
    return set(found.tolist())


def mask_of(docs, size: int) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    if docs:
        mask[np.fromiter(docs, dtype=np.int64, count=len(docs))] = True
    return mask


# --- reasons -------------------------------------------------------------------------------

def reasons(plan: Plan, scores: Scores, docnum: int, subclasses: list[str]) -> list[str]:
    """Why a document matches, in words a person can check."""
    result = []
    shared = [(w, t) for t, w, title, body in zip(plan.terms, plan.weights, plan.term_title, plan.term_body,
                                                  strict=True)
              if _contains(title, docnum) or _contains(body, docnum)]
    if shared:
        shared.sort(key=lambda item: -item[0])
        result.append(_("共同关键词：%(terms)s", terms="、".join(t for _w, t in shared[:6])))
    common = [s for s in subclasses if s in plan.subclasses]
    if common:
        best = max(common, key=lambda s: plan.subclasses[s])
        result.append(_("可能属于 %(label)s", label=subclass_label(best)))
    semantic = float(scores.semantic[docnum])
    if semantic >= 0.7:
        result.append(_("语义高度相近：说的是同一类技术"))
    elif semantic >= SEMANTIC_ALONE:
        result.append(_("语义相近"))
    return result


def _contains(docs: np.ndarray, docnum: int) -> bool:
    index = np.searchsorted(docs, docnum)
    return bool(index < len(docs) and docs[index] == docnum)
