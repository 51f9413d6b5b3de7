/* Indicator charts (ECharts) and the print button. Chart data comes from the element's
   data-chart-data attribute or, failing that, the JSON at data-src; the same numbers are
   printed as tables on the page, for screen readers and printing. No inline script: CSP. */
(function () {
  "use strict";

  var PALETTE = ["#0d6efd", "#20c997", "#fd7e14", "#6f42c1", "#dc3545", "#198754", "#0dcaf0", "#6c757d"];
  var MONEY_UNIT = "万元";

  function mixedOption(data) {
    // Bars for counts (left axis); money as lines on the right axis.
    var hasMoney = data.series.some(function (s) { return s.unit === MONEY_UNIT; });
    var countUnits = [];
    data.series.forEach(function (s) {
      if (s.unit !== MONEY_UNIT && countUnits.indexOf(s.unit) < 0) { countUnits.push(s.unit); }
    });
    var yAxis = [{ type: "value", name: countUnits.join(" / "), minInterval: 1 }];
    if (hasMoney) { yAxis.push({ type: "value", name: MONEY_UNIT, splitLine: { show: false } }); }
    return {
      color: PALETTE,
      tooltip: { trigger: "axis" },
      legend: { type: "plain", bottom: 0, itemWidth: 14, itemHeight: 10, textStyle: { fontSize: 11 } },
      grid: { left: 48, right: hasMoney ? 64 : 24, top: 36, bottom: 40 + 20 * Math.ceil(data.series.length / 3), containLabel: false },
      xAxis: { type: "category", data: data.labels,
               axisLabel: { interval: 0, rotate: data.labels.length > 6 ? 30 : 0 } },
      yAxis: yAxis,
      series: data.series.map(function (s) {
        var money = s.unit === MONEY_UNIT;
        return {
          name: s.name + "（" + s.unit + "）", type: money ? "line" : "bar",
          yAxisIndex: money ? 1 : 0, data: s.values,
          stack: (!money && data.stack) ? "total" : undefined
        };
      })
    };
  }

  function pieOption(data) {
    return {
      color: PALETTE,
      tooltip: { trigger: "item" },
      legend: { type: "scroll", bottom: 0 },
      series: [{
        type: "pie", radius: ["35%", "65%"], top: 0, bottom: 24,
        data: data.labels.map(function (label, i) { return { name: label, value: data.series[0].values[i] }; })
      }]
    };
  }

  var OPTIONS = { mixed: mixedOption, pie: pieOption };

  function draw(el, data) {
    var build = OPTIONS[el.getAttribute("data-chart")] || mixedOption;
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(build(data));
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function load(el) {
    var inline = el.getAttribute("data-chart-data");
    if (inline) { draw(el, JSON.parse(inline)); return; }
    var src = el.getAttribute("data-src");
    if (!src) { return; }
    fetch(src, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (json) { draw(el, el.hasAttribute("data-part") ? json[el.getAttribute("data-part")] : json); })
      .catch(function () { el.textContent = "图表数据加载失败，请参阅下方表格。"; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (window.echarts) { document.querySelectorAll("[data-chart]").forEach(load); }
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  });
}());
