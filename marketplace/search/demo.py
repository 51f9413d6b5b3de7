"""Demo: technology demands of the demo SMEs, then the search index built from the demo listings."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from ..dates import business_date
from ..demands.models import Demand, DemandStatus
from ..demo import DemoContext, demo_step
from ..extensions import db
from ..listings.models import Industry

DEMANDS = [
    ("ent_xinrui", "想找能让芯片散热更好的技术", "我们做工业控制主板，芯片一热就降频，客户抱怨设备卡顿。希望找到散热结构或材料方面的技术，最好能直接用在现有产品上。",
     Industry.electronics, ["H05K", "H01L"], "200000", "800000", ["licence", "transfer"]),
    ("ent_xinrui", "摄像头自动认出产品表面的划痕", "产线上靠人工看外观缺陷，漏检多。想用摄像头加算法自动发现划痕、污点。",
     Industry.ai, ["G06V", "G06T"], "100000", "500000", ["open_licence", "licence"]),
    ("ent_kangyuan", "寻找抗肿瘤新药的候选化合物", "公司有中试车间，希望引进处于临床前阶段的抗肿瘤化合物或制剂技术，可以作价入股合作。",
     Industry.biomedicine, ["A61K", "A61P"], "1000000", "5000000", ["transfer", "equity"]),
    ("ent_kangyuan", "快速检测食品里有没有农药残留", "想做便携的检测试剂盒，几分钟出结果，给农贸市场用。",
     Industry.biomedicine, [], None, "300000", ["open_licence", "licence"]),
    ("ent_shuzhi", "让客服系统自动回答客户的问题", "每天大量重复咨询，希望有智能问答、理解客户意思的技术。",
     Industry.big_data, ["G06F"], "50000", "300000", ["open_licence", "licence"]),
    ("ent_shuzhi", "预测仓库里什么货卖得快", "帮商超客户做库存和销量预测，减少积压。",
     Industry.big_data, [], None, None, []),
]


@demo_step(order=90)
def demands_and_search_index(ctx: DemoContext) -> None:
    from .embeddings import embed_pending
    from .indexer import reindex

    for key, title, description, industry, ipc, low, high, kinds in DEMANDS:
        org, user = ctx.orgs.get(key), ctx.users.get(key)
        if org is None or user is None:
            continue
        db.session.add(Demand(
            organization_id=org.id, created_by_id=user.id, status=DemandStatus.open, title=title,
            description=description, industry=industry, ipc_hint=ipc,
            budget_min=Decimal(low) if low else None, budget_max=Decimal(high) if high else None,
            wanted_kinds=kinds, deadline=business_date(ctx.now) + timedelta(days=ctx.rng.randint(60, 240)),
            published_at=ctx.now, watermark=ctx.now,
        ))
    db.session.flush()
    # Whatever listings earlier steps made (none is fine), searchable from the first page view.
    reindex(commit=False)
    embed_pending()  # and understood by meaning (the demo's few hundred listings: a minute at most)
