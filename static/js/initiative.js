// Draws an initiative page's KPI trend charts from the plain data the server embeds
// (#initiative-charts): each month's value against its target, in the ExCo page's style
// (Okabe-Ito blue for the value, a black dashed target, so it reads in print too).
(function () {
  "use strict";

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
        line: { color: "#0072B2", width: 2 }, marker: { symbol: "circle", size: 5 },
        hovertemplate: "%{x|%b %Y}: %{y}<extra>Actual</extra>", connectgaps: false,
      },
      {
        x: chart.x, y: chart.target, name: "Target", type: "scatter", mode: "lines",
        line: { color: "#000000", width: 1.5, dash: "dash" },
        hovertemplate: "%{x|%b %Y}: %{y}<extra>Target</extra>",
      },
    ];
    var layout = {
      height: 150,
      margin: { l: 40, r: 10, t: 6, b: 28 },
      showlegend: false,
      font: { family: "system-ui, DejaVu Sans, sans-serif", size: 11, color: "#1d2430" },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      xaxis: { type: "date", tickformat: "%b", dtick: "M2", gridcolor: "#e5e8ee" },
      yaxis: { gridcolor: "#e5e8ee", zeroline: false },
    };
    if (chart.percent) layout.yaxis.ticksuffix = "%";
    return { data: data, layout: layout };
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
