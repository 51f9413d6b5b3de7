"""The tokenizer: word positions, mixed scripts, IPC codes and numbers, and phrases in the index."""

from __future__ import annotations

from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.qparser import QueryParser

from marketplace.search.tokenizer import ChineseAnalyzer, query_terms, words


def tokens(text, mode="query"):
    return [(t.text, t.pos) for t in ChineseAnalyzer()(text, positions=True, mode=mode)]


def test_positions_count_words_not_characters():
    assert tokens("新型锂离子电池组") == [("新型", 0), ("锂离子", 1), ("电池组", 2)]


def test_index_mode_adds_inner_words_at_the_same_position():
    indexed = tokens("新型锂离子电池组", mode="index")
    assert ("离子", 1) in indexed and ("电池", 2) in indexed and ("电池组", 2) in indexed


def test_mixed_chinese_and_english_are_lowercased_words():
    assert query_terms("AI芯片") == ["ai", "芯片"]
    assert query_terms("5G通信基站") == ["5g", "通信", "基站"]
    assert query_terms("基于Transformer的模型") == ["基于", "transformer", "模型"]


def test_ipc_codes_and_numbers_stay_whole():
    assert query_terms("G06F") == ["g06f"]
    assert query_terms("H01M10/052") == ["h01m10/052"]
    assert query_terms("G06F 16/35") == ["g06f16/35"]
    assert ("h01m", 0) in tokens("H01M10/052", mode="index")  # the index also knows the subclass
    assert query_terms("CN202211740332.4") == ["202211740332.4"]
    assert query_terms("2022117403324") == ["202211740332.4"]
    assert query_terms("CN116510786B") == ["cn116510786b"]


def test_character_offsets_point_at_the_word():
    text = "一种AI芯片"
    for word, _pos, start, end in words(text):
        assert text[start:end].lower() == word


def phrase_index():
    schema = Schema(id=ID(stored=True), body=TEXT(analyzer=ChineseAnalyzer()))
    ix = RamStorage().create_index(schema)
    with ix.writer() as writer:
        writer.add_document(id="1", body="本发明公开了一种锂离子电池组的散热结构")
        writer.add_document(id="2", body="电池外壳采用锂合金，离子导电")
        writer.add_document(id="3", body="基于AI芯片的5G通信模块")
    return ix


def search_ids(ix, text):
    with ix.searcher() as searcher:
        q = QueryParser("body", ix.schema).parse(text)
        return sorted(hit["id"] for hit in searcher.search(q))


def test_quoted_phrase_finds_its_documents_only():
    ix = phrase_index()
    assert search_ids(ix, '"锂离子电池"') == ["1"]
    assert search_ids(ix, '"散热 电池"') == []  # the words, but not in this order
    assert search_ids(ix, '"散热结构"') == ["1"]
    assert search_ids(ix, '"AI芯片"') == ["3"]
    assert search_ids(ix, "5G") == ["3"]
