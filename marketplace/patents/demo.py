"""Demo patents: a few hundred generated patents held by the demo universities, institute and enterprises."""

from __future__ import annotations

from datetime import date, timedelta

from ..dates import business_date
from ..demo import DemoContext, demo_step
from ..demo.names import person_name
from ..extensions import db
from ..listings.models import Industry
from . import demo_grammar
from .models import LegalStatus, Patent, PatentType, expiry_date
from .numbers import check_digit

I = Industry  # noqa: E741 - short table below
# holder key → (number of patents, industries it works in, share of inventions, of utility models)
HOLDERS = {
    "uni_minjiang": (95, [I.electronics, I.ai, I.big_data, I.high_end_equipment, I.new_materials], 0.8, 0.15),
    "uni_haixi": (65, [I.biomedicine, I.modern_agriculture, I.internet_plus, I.big_data, I.new_materials], 0.75, 0.2),
    "inst_optics": (50, [I.electronics, I.new_energy, I.ai], 0.75, 0.2),
    "ent_xinrui": (20, [I.electronics], 0.5, 0.4),
    "ent_kangyuan": (15, [I.biomedicine], 0.6, 0.3),
    "ent_shuzhi": (15, [I.big_data, I.internet_plus, I.ai], 0.6, 0.3),
    "ent_minfeng": (20, [I.high_end_equipment], 0.4, 0.45),
    "ent_haiyun": (20, [I.new_energy], 0.5, 0.4),
}
TYPE_DIGIT = {PatentType.invention: "1", PatentType.utility: "2", PatentType.design: "3"}
KIND_CODE = {PatentType.invention: "B", PatentType.utility: "U", PatentType.design: "S"}
FIRST_DAY, LAST_DAY = date(2012, 1, 4), date(2025, 6, 30)


def application_number(ctx: DemoContext, patent_type: PatentType, filed: date, used: set[str]) -> str:
    while True:
        body = f"{filed.year}{TYPE_DIGIT[patent_type]}{ctx.rng.randint(10000, 1999999):07d}"
        if body not in used:
            used.add(body)
            return f"{body}.{check_digit(body)}"


def grant_delay(ctx: DemoContext, patent_type: PatentType) -> timedelta:
    months = {PatentType.invention: (16, 44), PatentType.utility: (5, 12), PatentType.design: (3, 8)}[patent_type]
    return timedelta(days=ctx.rng.randint(months[0] * 30, months[1] * 30))


def make_patent(ctx: DemoContext, org, industry: Industry, patent_type: PatentType, used: set[str]) -> Patent:
    rng, today = ctx.rng, business_date(ctx.now)
    filed = FIRST_DAY + timedelta(days=rng.randint(0, (LAST_DAY - FIRST_DAY).days))
    write = {PatentType.invention: demo_grammar.invention, PatentType.utility: demo_grammar.utility_model,
             PatentType.design: demo_grammar.design}[patent_type]
    title, abstract = write(industry, rng)
    granted_on = filed + grant_delay(ctx, patent_type)
    if granted_on > today:
        granted_on, status = None, LegalStatus.pending
    elif expiry_date(patent_type, filed) < today:
        status = LegalStatus.expired
    else:
        roll = rng.random()
        status = LegalStatus.lapsed if roll < 0.05 else LegalStatus.invalidated if roll < 0.06 else LegalStatus.granted
    app_no = application_number(ctx, patent_type, filed, used)
    pub_no = None
    if granted_on:
        pub_no = f"CN{TYPE_DIGIT[patent_type]}{rng.randint(10000000, 19999999):08d}{KIND_CODE[patent_type]}"
        while pub_no in used:
            pub_no = f"CN{TYPE_DIGIT[patent_type]}{rng.randint(10000000, 19999999):08d}{KIND_CODE[patent_type]}"
        used.add(pub_no)
    evaluation = ""
    if granted_on and patent_type != PatentType.invention and rng.random() < 0.7:
        evaluation = f"PJ{granted_on.year}{rng.randint(1, 999999):06d}"
    return Patent(
        owner_id=org.id, app_no=app_no, pub_no=pub_no, patent_type=patent_type, title=title, abstract=abstract,
        claims_count={PatentType.invention: rng.randint(6, 20), PatentType.utility: rng.randint(4, 10),
                      PatentType.design: 1}[patent_type],
        ipc_codes=[] if patent_type == PatentType.design else demo_grammar.ipc_codes(industry, rng),
        applicants=org.name, inventors="；".join(person_name(rng) for _ in range(rng.randint(2, 5))),
        app_date=filed, pub_date=granted_on, grant_date=granted_on, legal_status=status,
        is_pct=patent_type == PatentType.invention and rng.random() < 0.06,
        evaluation_report_no=evaluation, province="福建",
        source="演示数据",
    )


@demo_step(order=20)
def patents(ctx: DemoContext) -> None:
    used: set[str] = set()
    made: list[tuple[Patent, Industry]] = []
    for key, (count, industries, invention_share, utility_share) in HOLDERS.items():
        org = ctx.orgs[key]
        for _n in range(count):
            roll = ctx.rng.random()
            patent_type = (PatentType.invention if roll < invention_share else
                           PatentType.utility if roll < invention_share + utility_share else PatentType.design)
            industry = ctx.rng.choice(industries)
            patent = make_patent(ctx, org, industry, patent_type, used)
            made.append((patent, industry))
    db.session.add_all(patent for patent, _industry in made)
    db.session.flush()
    ctx.extra["patents"] = made


@demo_step(order=95)  # last: no other step picks this patent up
def ownership_claim(ctx: DemoContext) -> None:
    """A company registers a patent the record still shows under its former parent: the title is a
    claim awaiting the operator, with the company's explanation."""
    from .operations import PatentInput, save_patent

    org, user = ctx.orgs.get("ent_haiyun"), ctx.users.get("ent_haiyun")
    if org is None or user is None:
        return
    filed = date(2021, 3, 16)
    body = f"{filed.year}1{ctx.rng.randint(2000000, 2999999):07d}"
    save_patent(org, PatentInput(
        title="一种海上风电机组叶片覆冰监测方法", app_no=f"{body}.{check_digit(body)}", patent_type="invention",
        abstract="本发明公开了一种基于振动频谱与温湿度融合的海上风电机组叶片覆冰监测方法。",
        ipc_codes="F03D17/00; G01N29/14", applicants="福建海运能源集团有限公司",
        inventors="；".join(person_name(ctx.rng) for _ in range(3)), app_date=filed, grant_date=date(2023, 8, 1),
        legal_status="granted"), user=user,
        statement="本专利于2025年由集团公司无偿划转至我司，著录项目变更已提交国家知识产权局，通知书扫描件待补。")
