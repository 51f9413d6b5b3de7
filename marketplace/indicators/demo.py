"""Demo: the operator enters last year's and this year's values, with one correction in the history."""

from __future__ import annotations

from ..dates import business_date
from ..demo import DemoContext, demo_step
from .operations import record_values


@demo_step(order=90)
def operator_values(ctx: DemoContext) -> None:
    operator = ctx.users.get("regulator")
    if operator is None:
        return
    this_year = business_date(ctx.now).year
    share = max(business_date(ctx.now).timetuple().tm_yday / 365, 0.1)  # this year is under way
    rng = ctx.rng
    for year, part in ((this_year - 1, 1.0), (this_year, share)):
        record_values(year, {
            "trademark_applications": int(rng.randint(10200, 11800) * part),
            "training_person_times": int(rng.randint(1050, 1400) * part),
            "publicity_events": max(1, round(rng.randint(6, 9) * part)),
            "ip_fund_share": f"{rng.uniform(0.21, 0.28):.3f}",
            "demo_enterprises_national": 6 if year < this_year else 7,
            "demo_enterprises_provincial": rng.randint(17, 21),
            "demo_enterprises_municipal": rng.randint(52, 63),
            "standard_enterprises": rng.randint(33, 38),
        }, operator, note="区市场监督管理局年度统计")
    # The district's official statistics for last year, as the office's statistical bulletin gives them;
    # the dashboard shows the platform's own registry count beside each.
    record_values(this_year - 1, {
        "patent_grants": rng.randint(3380, 3900), "service_invention_share": f"{rng.uniform(74, 82):.1f}",
        "enterprises_3plus_grants": rng.randint(140, 175), "foreign_filings": rng.randint(42, 66),
        "inventions_per_10k": f"{rng.uniform(88, 101):.2f}",
    }, operator, note="区知识产权局年度统计公报")
    # This year so far: the office's monthly figure for grants, entered while the year runs.
    record_values(this_year, {"patent_grants": int(rng.randint(3400, 3900) * share)}, operator,
                  note="区知识产权局月度统计（截至上月）")
    # A correction after the statistics bureau's final figures: the history keeps both.
    record_values(this_year - 1, {"training_person_times": 1288}, operator, note="按培训签到表核对后更正")
