// Draws the ExCo page's charts from the plain data the server embeds (#exco-charts).
// Colours are the Okabe-Ito palette, safe for colour-blind readers, and every series also
// differs by line style or marker, so the charts still read in black-and-white print.
(function () {
  "use strict";
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442"];
  var DASHES = ["solid", "dot", "dash", "longdash", "dashdot", "longdashdot"];
  var SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star", "cross", "pentagon"];
  // Each month's point says its stored status as the tiles do: the same colour and shape
  // (scoreboard.css's .rag-*), so the chart never tells another story than the tile.
  var STATUS_MARKS = {
    green: { color: "#1b7f4b", symbol: "circle" },
    amber: { color: "#8f5300", symbol: "triangle-up" },
    red: { color: "#b3261e", symbol: "square" },
  };
  var PLAIN_MARK = { color: "#0072B2", symbol: "circle" };

  function statusMarker(statuses) {
    var marks = (statuses || []).map(function (s) { return STATUS_MARKS[s] || PLAIN_MARK; });
    return {
      size: 7,
      color: marks.map(function (m) { return m.color; }),
      symbol: marks.map(function (m) { return m.symbol; }),
    };
  }

  // The printed pack (body.pack) draws static, shorter charts: five tiles a row on A4.
  var printing = false;

  function draw() {
    var source = document.getElementById("exco-charts");
    if (!source || !window.Plotly) return;
    var charts = JSON.parse(source.textContent);
    printing = document.body.classList.contains("pack");
    var config = { displayModeBar: false, responsive: !printing, staticPlot: printing };
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = charts[el.dataset.chart];
      if (!chart) return;
      var made = chart.kind === "bar" ? bar(chart) : chart.kind === "lines" ? lines(chart) : trend(chart, el);
      Plotly.newPlot(el, made.data, made.layout, config);
      el.classList.add("drawn");
    });
  }

  function baseLayout(height, legend) {
    return {
      height: height,
      margin: { l: 48, r: 10, t: 6, b: 28 },
      showlegend: legend,
      legend: { orientation: "h", y: -0.25 },
      font: { family: "system-ui, DejaVu Sans, sans-serif", size: 11, color: "#1d2430" },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      // On paper a tick every quarter, upright: narrow charts would tilt every other month's name.
      xaxis: { type: "date", tickformat: "%b", dtick: printing ? "M3" : "M2", tickangle: printing ? 0 : "auto", gridcolor: "#e5e8ee" },
      yaxis: { gridcolor: "#e5e8ee", zeroline: false },
    };
  }

  function trend(chart, el) {
    var data = [
      {
        x: chart.x, y: chart.y, name: "Actual", type: "scatter", mode: "lines+markers",
        line: { color: PALETTE[0], width: 2 }, marker: statusMarker(chart.status),
        // The hover says each figure as the page does (scoreboard/formatting.py), never plotly's own.
        customdata: chart.x.map(function (x, i) { return [chart.x_text[i], chart.y_text[i], (chart.status || [])[i] || "no target"]; }),
        hovertemplate: "%{customdata[0]}: %{customdata[1]} (%{customdata[2]})<extra>Actual</extra>", connectgaps: false,
      },
      {
        x: chart.x, y: chart.target, name: "Target", type: "scatter", mode: "lines",
        line: { color: "#000000", width: 1.5, dash: "dash" },
        customdata: chart.x.map(function (x, i) { return [chart.x_text[i], chart.target_text[i]]; }),
        hovertemplate: "%{customdata[0]}: %{customdata[1]}<extra>Target</extra>",
      },
    ];
    if (chart.notes.length) {
      var byMonth = {};
      chart.x.forEach(function (x, i) { byMonth[x] = chart.y[i]; });
      data.push({
        x: chart.notes.map(function (n) { return n.x; }),
        y: chart.notes.map(function (n) { return byMonth[n.x]; }),
        text: chart.notes.map(function (n) { return n.text; }),
        name: "Note", type: "scatter", mode: "markers",
        marker: { symbol: "star", size: 12, color: PALETTE[1], line: { color: "#000", width: 1 } },
        hovertemplate: "%{text}<extra>Note</extra>",
      });
    }
    // As tall as the stylesheet makes its box (the primary KPI's is taller), never under 150 px.
    var layout = baseLayout(printing ? 85 : Math.max(150, el.clientHeight), false);
    // A narrow tile names every third month, upright, rather than tilting every other one.
    if (el.clientWidth < 320) Object.assign(layout.xaxis, { dtick: "M3", tickangle: 0 });
    // The axis in the KPI's unit and decimals: a ratio's shares read as percentages.
    Object.assign(layout.yaxis, chart.axis || {});
    return { data: data, layout: layout };
  }

  function lines(chart) {
    var data = chart.series.map(function (s, i) {
      return {
        x: chart.x, y: s.y, name: s.name, type: "scatter", mode: "lines+markers",
        line: { color: s.bold ? "#000000" : PALETTE[i % PALETTE.length], width: s.bold ? 3 : 1.5, dash: s.bold ? "solid" : DASHES[i % DASHES.length] },
        marker: { symbol: SYMBOLS[i % SYMBOLS.length], size: 5 },
        customdata: chart.x.map(function (x, j) { return [chart.x_text[j], s.y_text[j]]; }),
        hovertemplate: "%{customdata[0]}: %{customdata[1]}<extra>%{fullData.name}</extra>",
        connectgaps: false,
      };
    });
    var layout = baseLayout(printing ? 230 : 320, true);
    Object.assign(layout.yaxis, chart.axis || {});
    layout.shapes = [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: chart.reference, y1: chart.reference, line: { color: "#5b6676", dash: "dash", width: 1 } }];
    // At the right end, on a white ground: at the left it sat on the axis and the first points.
    layout.annotations = [{ xref: "paper", x: 1, y: chart.reference, text: "Business case", showarrow: false, yanchor: "bottom", xanchor: "right", bgcolor: "rgba(255,255,255,0.85)", font: { size: 10, color: "#5b6676" } }];
    return { data: data, layout: layout };
  }

  function bar(chart) {
    var layout = baseLayout(printing ? 180 : 220, false);
    layout.xaxis = { type: "category" };
    // Room above the tallest bar for its count, which the plot area clipped ("4" half shown).
    layout.margin = Object.assign({}, layout.margin, { t: 22 });
    return {
      data: [{ x: chart.x, y: chart.y, type: "bar", text: chart.y, textposition: "outside", cliponaxis: false, marker: { color: PALETTE[0] }, hovertemplate: "%{x}: %{y}<extra></extra>" }],
      layout: layout,
    };
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
