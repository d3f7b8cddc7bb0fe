// Draws an initiative page's KPI trend charts from the plain data the server embeds
// (#initiative-charts): each month's value against its target, in the ExCo page's style
// (Okabe-Ito blue for the value, a black dashed target, so it reads in print too).
(function () {
  "use strict";
  // Each month's point in its stored status's colour and shape, as on the ExCo page's charts.
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

  function draw() {
    var source = document.getElementById("initiative-charts");
    if (!source || !window.Plotly) return;
    var charts = JSON.parse(source.textContent);
    var config = { displayModeBar: false, responsive: true };
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = charts[el.dataset.chart];
      if (!chart) return;
      var made = trend(chart);
      Plotly.newPlot(el, made.data, made.layout, config);
      el.classList.add("drawn");
    });
  }

  function trend(chart) {
    var data = [
      {
        x: chart.x, y: chart.y, name: "Actual", type: "scatter", mode: "lines+markers",
        line: { color: "#0072B2", width: 2 }, marker: statusMarker(chart.status),
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
    var layout = {
      height: 150,
      margin: { l: 48, r: 10, t: 6, b: 28 },
      showlegend: false,
      font: { family: "system-ui, DejaVu Sans, sans-serif", size: 11, color: "#1d2430" },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      xaxis: { type: "date", tickformat: "%b", dtick: "M2", gridcolor: "#e5e8ee" },
      yaxis: { gridcolor: "#e5e8ee", zeroline: false },
    };
    // The axis in the KPI's unit and decimals: a ratio's shares read as percentages.
    Object.assign(layout.yaxis, chart.axis || {});
    return { data: data, layout: layout };
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
