"""Latency of GET /api/v1/search (facets on) and the index build rate, at 10,000 and 100,000
synthetic listings, through the Flask test client (the whole request: parsing, search, facets, JSON).

    .venv/bin/python bench/search_bench.py [--sizes 10000,100000] [--requests 200]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import time

from common import SHARED_PATENTS, bulk_publish, holders, load_real_patents, make_app

from marketplace.extensions import db
from marketplace.search.indexer import reindex

_WORD_TEXT = ("锂离子 电池 正极 负极 电解液 储能 充电 光伏 逆变器 电网 电机 散热 传感器 检测 图像 识别 神经网络 深度学习 "
         "数据 存储 加密 区块链 通信 无线 天线 芯片 半导体 封装 催化剂 污水 过滤 除尘 塑料 树脂 复合材料 涂层 "
         "药物 抗体 基因 细胞 疫苗 食品 保鲜 种植 灌溉 温室 机器人 机械臂 焊接 夹具 切割 打磨 输送 包装 "
         "无人机 车辆 导航 雷达 监控 报警 控制器 阀门 轴承 齿轮 液压 泵 混凝土 钢结构 纺织 纤维 照明 显示 "
         "算法 模型 训练 预测 调度 优化 定位 测量 温度 压力 流量 振动 噪声 清洗 干燥 粉碎 搅拌 冷却 加热")
WORDS = _WORD_TEXT.split()
_SUBCLASS_TEXT = ("H01M H02J H02S H02M H01L H05K G06F G06N G06V G06T G06Q H04L H04W G01N G01R G01B G05B "
              "B01J B01D C02F B08B C08L C08K B29C A61K A61P C12N C07K A23L A01G B25J B23K B23Q B24B B65G "
              "B65B B64C B60L G08B F16K F16C F15B E04G D06M F21V")
SUBCLASSES = _SUBCLASS_TEXT.split()
QUERIES = ["电池", "锂离子电池 正极", "图像识别", "神经网络 训练", "污水 过滤", "机器人 焊接", "光伏 逆变器",
           "传感器 检测 温度", "芯片 封装", "药物", "G06F", "数据 加密", "无人机 导航", "食品 保鲜", "夹具"]
FILTERS = [{"kind": "transfer"}, {"price_band": "100k_500k"}, {"ipc_section": "H", "kind": "licence"},
           {"industry": "electronics", "price_band": "1m_5m"}, {"ipc_subclass": "G06N"}]


def synthetic(n: int, rng: random.Random) -> list[dict]:
    """Listings whose text follows real patent language: titles, sentences and IPC codes of the
    real records recombined (when ../shared/data/patents.jsonl is present), else generated words."""
    if SHARED_PATENTS.exists():
        return recombined(n, rng)
    records = []
    for i in range(n):
        words = rng.sample(WORDS, rng.randint(2, 4))
        title = "一种" + "".join(words) + rng.choice(["方法", "装置", "系统", "及其制备方法", "设备"])
        body = "，".join("".join(rng.sample(WORDS, 3)) for _ in range(rng.randint(4, 8)))
        codes = [f"{s}{rng.randint(1, 99)}/{rng.randint(0, 99):02d}" for s in rng.sample(SUBCLASSES, rng.randint(1, 3))]
        records.append({"title": title, "abstract": "本发明公开了" + body + "。", "ipc_all": codes,
                        "pub_no": f"CN{100000000 + i}A"})
    return records


def recombined(n: int, rng: random.Random) -> list[dict]:
    real = load_real_patents()
    sentences = [s for r in real if r.get("abstract") for s in r["abstract"].split("。") if len(s) > 8]
    records = []
    for i in range(n):
        source = rng.choice(real)
        extra = rng.choice(real)["title"].replace("一种", "")
        title = f"{source['title']}（{extra[:12]}）" if rng.random() < 0.5 else source["title"]
        abstract = "。".join(rng.sample(sentences, rng.randint(2, 5))) + "。"
        records.append({"title": title, "abstract": abstract, "ipc_all": source.get("ipc_all") or [],
                        "pub_no": f"CN{100000000 + i}A"})
    return records


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(client, requests: int, rng: random.Random, with_filters: bool) -> list[float]:
    timings = []
    for i in range(requests):
        params = {"q": QUERIES[i % len(QUERIES)]} if i % 5 else {}
        if with_filters:
            params.update(rng.choice(FILTERS))
        started = time.perf_counter()
        response = client.get("/api/v1/search", query_string=params)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)
    return timings


def run(size: int, requests: int) -> None:
    rng = random.Random(size)
    app, workdir = make_app()
    with app.app_context():
        started = time.perf_counter()
        bulk_publish(synthetic(size, rng), holders(50, rng), rng)
        loaded = time.perf_counter()
        count = reindex()
        built = time.perf_counter()
        db.session.remove()
    rate = count / (built - loaded)
    print(f"== {size:,} listings (database filled in {loaded - started:.0f} s)")
    print(f"   full rebuild: {count:,} documents in {built - loaded:.1f} s = {rate:.0f} documents/s")
    client = app.test_client()
    client.get("/api/v1/search", query_string={"q": "电池", "kind": "transfer"})  # first searcher: caches
    for label, with_filters in (("no filters  ", False), ("with filters", True)):
        timings = measure(client, requests, rng, with_filters)
        print(f"   /api/v1/search {label} (facets on, {requests} requests): "
              f"p50 {statistics.median(timings):.1f} ms, p95 {percentile(timings, 95):.1f} ms, "
              f"max {max(timings):.1f} ms")
    with app.app_context():
        db.engine.dispose()
    shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        run(size, args.requests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
