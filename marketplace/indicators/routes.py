"""Indicator pages: the operators' dashboard, drill-downs, yearly entry form and report;
the public statistics page. Routes stay thin: parse the period, call the engine, render."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.routes import operator_required
from ..dates import business_today
from ..errors import DomainError
from ..web import submit
from . import bp, operations, periods, public, report, value_import
from .definitions import GROUPS, OFFICIAL_KEYS, OPERATOR_KEYS, PLATFORM_SOURCE, REGISTRY, SOURCES
from .engine import Context, measure, measure_all, trend
from .forms import OperatorValuesForm, ValuesImportForm
from .periods import BadPeriod, Period


def requested_period(allow_quarter: bool = True) -> Period:
    return periods.parse_period(request.args.get("year"), request.args.get("quarter") if allow_quarter else None,
                                default_year=business_today().year)


@bp.errorhandler(BadPeriod)
def bad_period(error: BadPeriod):
    if request.path.endswith(".json"):
        return jsonify({"error": {"status": 400, "message": str(error)}}), 400
    return render_template("errors/error.html", status=400, title=_("请求有误"), message=str(error)), 400


@bp.get("/operator/indicators")
@operator_required
def dashboard():
    period = requested_period()
    ctx = Context()
    rows = measure_all(period, ctx)
    grouped = [(GROUPS[g], [r for r in rows if r.indicator.group == g]) for g in GROUPS]
    return render_template("indicators/dashboard.html", period=period, grouped=grouped, ctx=ctx,
                           elapsed=Period(period.year).elapsed(ctx.today), sources=SOURCES,
                           platform_source=PLATFORM_SOURCE,
                           chart=trend(period.year, ctx),
                           year_choices=_year_choices(period.year, ctx))


@bp.get("/operator/indicators/trend.json")
@operator_required
def trend_data():
    period = requested_period(allow_quarter=False)
    return jsonify(trend(period.year))


@bp.get("/operator/indicators/<key>")
@operator_required
def drilldown(key: str):
    indicator = REGISTRY.get(key)
    if indicator is None:
        abort(404)
    if indicator.entered:
        return redirect(url_for("indicators.values", year=request.args.get("year")))
    if indicator.drilldown is None:
        abort(404)
    period = requested_period()
    ctx = Context()
    row = measure(indicator, period, ctx)
    detail = indicator.drilldown(period, ctx)
    names = report.org_names({o for e in detail.entries
                              for o in (e.holder_org_id, e.counterparty_org_id, e.beneficiary_org_id)}
                             | (set(detail.items) if detail.measure == "distinct_beneficiaries" else set()))
    return render_template("indicators/drilldown.html", indicator=indicator, period=period, row=row,
                           detail=detail, names=names, kind_labels=report.KIND_LABELS,
                           ledger_warning=ctx.ledger_warning,
                           status_labels=report.STATUS_LABELS, subject_label=report.subject_label)


@bp.route("/operator/indicators/values", methods=["GET", "POST"])
@operator_required
def values():
    period = requested_period(allow_quarter=False)
    year = period.year
    current = operations.current_values(year)
    form = OperatorValuesForm()
    if request.method == "GET":
        for key, row in current.items():
            getattr(form, key).data = f"{row.value.normalize():f}"
    future = year > business_today().year
    outcome = submit(form, lambda: operations.record_values(year, form.values(), current_user, form.note.data or ""))
    if outcome.done:
        if outcome.result:
            flash(_("已保存 %(year)d 年的 %(n)d 项指标。", year=year, n=len(outcome.result)), "success")
        else:
            flash(_("没有数值发生变化，未新增记录。"), "info")
        return redirect(url_for("indicators.values", year=year))
    return _values_page(year, form, ValuesImportForm(formdata=None), current, future), outcome.status


def _values_page(year, form, import_form, current, future, import_report=None):
    ctx = Context()
    platform = {key: REGISTRY[key].platform(Period(year), ctx) for key in OFFICIAL_KEYS}
    return render_template("indicators/values.html", form=form, import_form=import_form, year=year,
                           current=current, future=future, history=operations.history(year), registry=REGISTRY,
                           operator_keys=OPERATOR_KEYS, official_keys=OFFICIAL_KEYS, platform=platform,
                           platform_source=PLATFORM_SOURCE, import_report=import_report,
                           year_choices=_year_choices(year, None))


def _import_file(import_form: ValuesImportForm):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload"
        import_form.file.data.save(path)
        try:
            return value_import.import_values(path, current_user, import_form.note.data or "")
        except DomainError as error:
            error.field = error.field or "file"  # the file as a whole: said beside the file
            raise


@bp.post("/operator/indicators/values/import")
@operator_required
def import_values():
    """Official statistics from a CSV/XLSX table; a file with any bad row writes nothing (its 422 rolls back)."""
    year = requested_period(allow_quarter=False).year
    import_form = ValuesImportForm()
    outcome = submit(import_form, lambda: _import_file(import_form))
    report_ = outcome.result
    if outcome.done and not report_.errors:
        flash(_("已导入 %(rows)d 行，新增 %(n)d 条记录。", rows=report_.rows, n=report_.written), "success")
        return redirect(url_for("indicators.values", year=year))
    form = OperatorValuesForm(formdata=None)
    current = operations.current_values(year)
    for key, row in current.items():
        getattr(form, key).data = f"{row.value.normalize():f}"
    return _values_page(year, form, import_form, current, year > business_today().year, report_), \
        422 if outcome.done else outcome.status


@bp.get("/operator/indicators/report")
@operator_required
def report_page():
    year = requested_period(allow_quarter=False).year
    return render_template("indicators/report.html", year=year, tables=report.tables(year),
                           generated=business_today())


@bp.get("/operator/indicators/report.xlsx")
@operator_required
def report_xlsx():
    year = requested_period(allow_quarter=False).year
    return Response(report.workbook_bytes(year),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": _attachment(f"indicators-{year}.xlsx")})


@bp.get("/operator/indicators/report.csv")
@operator_required
def report_csv():
    year = requested_period(allow_quarter=False).year
    sheet = request.args.get("sheet", "indicators")
    if sheet not in report.SHEETS:
        abort(400)
    return Response(report.csv_text(year, sheet), mimetype="text/csv",
                    headers={"Content-Disposition": _attachment(f"indicators-{year}-{sheet}.csv")})


@bp.get("/statistics")
def statistics():
    year = requested_period(allow_quarter=False).year
    return render_template("indicators/statistics.html", stats=public.summary(year), year=year,
                           this_year=business_today().year)


def _attachment(filename: str) -> str:
    return f'attachment; filename="{filename}"'


def _year_choices(selected: int, ctx: Context | None) -> list[int]:
    this_year = business_today().year
    first = min([*(ctx.ledger.years() if ctx else []), this_year - 4, selected])
    return list(range(max(first, this_year - 9), max(this_year, selected) + 2))[::-1]
