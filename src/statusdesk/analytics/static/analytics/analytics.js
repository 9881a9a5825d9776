// The analytics charts: the numbers come from the page's JSON script element (no inline code:
// the Content-Security-Policy forbids it). Chart.js is vendored under static.
(() => {
  const source = document.getElementById("analytics-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const hours = (m) => (m.seconds === null ? null : Math.round((m.seconds / 3600) * 10) / 10);
  const bar = (id, labels, values, label) => {
    const canvas = document.getElementById(id);
    if (!canvas) return;
    new Chart(canvas, {
      type: "bar",
      data: { labels, datasets: [{ label, data: values, backgroundColor: "#4f46e5" }] },
      options: { animation: false, plugins: { legend: { display: false } } },
    });
  };
  const months = document.getElementById("chart-months");
  if (months) {
    new Chart(months, {
      type: "line",
      data: {
        labels: data.per_month.map((r) => r.month),
        datasets: [
          { label: "MTTD (hours)", data: data.per_month.map((r) => hours(r.mttd)), borderColor: "#b45309" },
          { label: "MTTF (hours)", data: data.per_month.map((r) => hours(r.mttf)), borderColor: "#4f46e5" },
          { label: "MTTR (hours)", data: data.per_month.map((r) => hours(r.mttr)), borderColor: "#047857" },
        ],
      },
      options: { animation: false, spanGaps: true },
    });
  }
  bar("chart-severity", data.by_severity.map((r) => r.label), data.by_severity.map((r) => r.incidents), "Incidents");
  bar("chart-detection", data.by_detection.map((r) => r.label), data.by_detection.map((r) => r.incidents), "Incidents");
  bar("chart-terms", data.by_term.map((r) => r.term), data.by_term.map((r) => r.incidents), "Incidents");
})();
