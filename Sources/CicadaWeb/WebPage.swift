/// The web UI's one page: plain HTML, CSS and JavaScript with no build step, charts drawn by the Chart.js
/// the server serves at `/chart.js` (Debian's libjs-chart.js). It reads `/api/defaults` for the form,
/// follows `/api/events` (Server-Sent Events, at most one a second, each carrying only the seconds the
/// page has not seen) and sends its control requests with the page's token.
enum WebPage {
    /// The page, carrying `token` for its control requests.
    static func render(token: String) -> String {
        template.replacingOccurrences(of: "{{TOKEN}}", with: token)
    }

    /// Points each chart keeps: an hour of seconds, so that a page left open for hours stays small.
    static let chartPoints = 3_600

    private static let template = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="cicada-token" content="{{TOKEN}}">
<title>Cicada</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2327; background: #f6f7f7; }
header { background: #1d2327; color: #fff; padding: 10px 20px; display: flex; gap: 24px; align-items: baseline; flex-wrap: wrap; }
header h1 { font-size: 18px; margin: 0; }
header .figure b { font-size: 16px; }
main { padding: 16px 20px; }
section { background: #fff; border: 1px solid #dcdcde; border-radius: 4px; padding: 12px 16px; margin-bottom: 16px; }
h2 { font-size: 15px; margin: 0 0 8px; }
label { display: block; margin: 6px 0 2px; font-weight: 600; }
input[type=text], input[type=number] { width: 260px; padding: 4px 6px; }
.wide { width: 560px !important; }
.field-error { color: #b32d2e; display: block; min-height: 1em; font-size: 13px; }
.hint { color: #646970; font-size: 12px; }
button { padding: 5px 12px; margin-right: 6px; cursor: pointer; }
button.primary { background: #2271b1; color: #fff; border: 1px solid #2271b1; border-radius: 3px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: 3px 8px; border-bottom: 1px solid #eee; white-space: nowrap; }
th:nth-child(-n+2), td:nth-child(-n+2) { text-align: left; }
th.sortable { cursor: pointer; text-decoration: underline dotted; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 16px; }
.chart { position: relative; height: 240px; }
.pass { color: #008a20; font-weight: 600; } .fail { color: #b32d2e; font-weight: 600; } .pending { color: #646970; }
.warning { background: #fcf9e8; border-left: 4px solid #dba617; padding: 6px 10px; margin: 4px 0; }
#message { color: #b32d2e; }
[hidden] { display: none !important; }
</style>
</head>
<body data-points="0" data-phase="ready">
<header>
  <h1>Cicada</h1>
  <span class="figure">phase <b id="phase">ready</b></span>
  <span class="figure">users <b id="users-now">0</b></span>
  <span class="figure">req/s <b id="rps-now">0</b></span>
  <span class="figure">failures <b id="failures-now">0%</b></span>
  <span class="figure">stage <b id="stage-now">–</b></span>
  <span class="figure">elapsed <b id="elapsed-now">0 s</b></span>
  <span class="figure" id="target-now"></span>
</header>
<main>
<p id="message"></p>
<section id="start-section">
  <h2>Start a run <span class="hint" id="scenario-name"></span></h2>
  <form id="start-form">
    <label for="users">Users</label><input type="text" inputmode="numeric" id="users" name="users"><span class="field-error" id="error-users"></span>
    <label for="spawn_rate">Spawn rate (users/s)</label><input type="text" id="spawn_rate" name="spawn_rate"><span class="field-error" id="error-spawn_rate"></span>
    <label for="arrival_rate">Arrival rate (iterations/s, the open model)</label><input type="text" id="arrival_rate" name="arrival_rate"><span class="field-error" id="error-arrival_rate"></span>
    <label for="host">Host</label><input type="text" id="host" name="host" class="wide"><span class="field-error" id="error-host"></span>
    <label for="run_time">Run time</label><input type="text" id="run_time" name="run_time" placeholder="e.g. 5m; empty: until stopped, or the last stage ends"><span class="field-error" id="error-run_time"></span>
    <label for="stages">Stages</label><input type="text" id="stages" name="stages" class="wide" placeholder="baseline:100@10/1m,peak:1000@50/10m">
    <span class="hint">With stages, users and spawn rate come from each stage; clear the stages to run a constant load.</span><span class="field-error" id="error-stages"></span>
    <label>User classes</label><span id="user-classes"></span><span class="field-error" id="error-user_classes"></span>
    <p><button type="submit" class="primary" id="start-button">Start</button><span class="field-error" id="error-form"></span></p>
  </form>
</section>
<section id="control-section" hidden>
  <h2>Steer the run</h2>
  <span id="scale-users-fields">Users <input type="text" inputmode="numeric" id="scale-users" size="8"> at <input type="text" id="scale-spawn-rate" size="6"> users/s</span>
  <span id="scale-rate-fields" hidden>Arrival rate <input type="text" id="scale-arrival-rate" size="8"> iterations/s</span>
  <button id="scale-button">Apply</button>
  <button id="skip-button">Skip to the next stage</button>
  <button id="reset-button">Reset statistics</button>
  <button id="stop-button" class="primary">Stop</button>
  <span class="field-error" id="error-scale"></span>
</section>
<section id="downloads" hidden>
  <h2>Reports</h2>
  <a id="download-html" href="/api/reports/report.html">HTML report</a> ·
  <a id="download-json" href="/api/reports/summary.json">JSON summary</a> ·
  <a id="download-stats-csv" href="/api/reports/stats.csv">stats CSV</a> ·
  <a id="download-failures-csv" href="/api/reports/failures.csv">failures CSV</a>
</section>
<section id="warnings-section" hidden><h2>Generator</h2><div id="warnings"></div></section>
<section>
  <h2>Charts</h2>
  <div class="charts">
    <div class="chart"><canvas id="chart-rps"></canvas></div>
    <div class="chart"><canvas id="chart-latency"></canvas></div>
    <div class="chart"><canvas id="chart-intended"></canvas></div>
    <div class="chart"><canvas id="chart-users"></canvas></div>
    <div class="chart"><canvas id="chart-generator"></canvas></div>
    <div class="chart" id="target-chart" hidden><canvas id="chart-target"></canvas></div>
  </div>
</section>
<section>
  <h2>Statistics</h2>
  <table id="endpoints-table"><thead><tr>
    <th class="sortable" data-key="method">Type</th><th class="sortable" data-key="name">Name</th>
    <th class="sortable" data-key="requests"># reqs</th><th class="sortable" data-key="failures"># fails</th>
    <th class="sortable" data-key="median">Median ms</th><th class="sortable" data-key="p95">p95 ms</th><th class="sortable" data-key="p99">p99 ms</th>
    <th class="sortable" data-key="max">Max ms</th><th class="sortable" data-key="rps">req/s</th><th class="sortable" data-key="ip99">int. p99 ms</th>
  </tr></thead><tbody></tbody></table>
  <p class="hint">int. p99: the p99 latency from each request's intended start (its schedule), which shows a late generator or a queueing target that the response time hides.</p>
</section>
<section id="stages-section" hidden>
  <h2>Stages</h2>
  <table id="stages-table"><thead><tr><th>Stage</th><th>Load</th><th># reqs</th><th># fails</th><th>req/s</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>int. p99 ms</th></tr></thead><tbody></tbody></table>
</section>
<section id="thresholds-section" hidden>
  <h2>Thresholds</h2>
  <table id="thresholds-table"><thead><tr><th>Metric</th><th>Expression</th><th>Observed</th><th>Verdict</th></tr></thead><tbody></tbody></table>
</section>
<section id="failures-section" hidden>
  <h2>Failures</h2>
  <table id="failures-table"><thead><tr><th>Type</th><th>Name</th><th>Error</th><th># occurrences</th></tr></thead><tbody></tbody></table>
</section>
</main>
<script src="/chart.js"></script>
<script>
"use strict";
const token = document.querySelector('meta[name="cicada-token"]').content;
const maxPoints = 3600;
let defaults = null, status = null, sortKey = null, sortDescending = true, currentRun = -1;
const $ = (id) => document.getElementById(id);
const fmt = (v, digits) => (v === null || v === undefined) ? "–" : Number(v).toFixed(digits === undefined ? (v >= 100 ? 0 : v >= 10 ? 1 : 2) : digits);

// Stage boundaries: a dashed line where the stage changes, with its name.
const stageLines = {
  id: "stageLines",
  afterDatasetsDraw(chart) {
    const marks = chart.options.plugins.stageLines && chart.options.plugins.stageLines.marks;
    if (!marks || !marks.length) return;
    const {ctx, chartArea, scales} = chart;
    ctx.save();
    ctx.strokeStyle = "#8c8f94"; ctx.fillStyle = "#50575e"; ctx.setLineDash([4, 4]); ctx.font = "11px sans-serif";
    for (const mark of marks) {
      const x = scales.x.getPixelForValue(mark.x);
      if (x < chartArea.left || x > chartArea.right) continue;
      ctx.beginPath(); ctx.moveTo(x, chartArea.top); ctx.lineTo(x, chartArea.bottom); ctx.stroke();
      ctx.fillText(mark.name, x + 3, chartArea.top + 10);
    }
    ctx.restore();
  }
};
Chart.register(stageLines);
const marks = [];
function makeChart(id, title, series, axes) {
  const scales = { x: { type: "linear", title: { display: true, text: "seconds" }, ticks: { maxTicksLimit: 10 } } };
  for (const [axis, label] of Object.entries(axes)) {
    scales[axis] = { position: axis === "y1" ? "right" : "left", beginAtZero: true, title: { display: true, text: label },
                     grid: { drawOnChartArea: axis !== "y1" } };
  }
  return new Chart($(id), {
    type: "line",
    data: { datasets: series.map(([label, color, axis]) => ({ label, borderColor: color, backgroundColor: color, data: [],
                                                           yAxisID: axis || "y", pointRadius: 0, borderWidth: 1.5, tension: 0 })) },
    options: { animation: false, responsive: true, maintainAspectRatio: false, parsing: false, normalized: true,
               plugins: { title: { display: true, text: title }, stageLines: { marks } }, scales }
  });
}
const charts = {
  rps: makeChart("chart-rps", "Requests and failures per second", [["req/s", "#2271b1"], ["failures/s", "#d63638"]], { y: "per second" }),
  latency: makeChart("chart-latency", "Response time, from the send (ms)", [["p50", "#00a32a"], ["p95", "#dba617"], ["p99", "#d63638"]],
                     { y: "ms" }),
  intended: makeChart("chart-intended", "Latency from the intended start (ms)", [["p50", "#00a32a"], ["p95", "#dba617"],
                      ["p99", "#d63638"]], { y: "ms" }),
  users: makeChart("chart-users", "Users and dropped iterations", [["users", "#2271b1"], ["dropped/s", "#d63638", "y1"]], { y: "users", y1: "dropped/s" }),
  generator: makeChart("chart-generator", "Generator: CPU and event-loop lag", [["CPU %", "#2271b1"], ["loop lag max ms", "#d63638", "y1"]], { y: "% of a core", y1: "ms" }),
  target: makeChart("chart-target", "Target: CPU and RSS (with --monitor-pid)", [["CPU %", "#2271b1"], ["RSS MiB", "#00a32a", "y1"]], { y: "% of a core", y1: "MiB" }),
};
function push(chart, index, x, y) {
  const data = chart.data.datasets[index].data;
  data.push({ x, y });
  if (data.length > maxPoints) data.splice(0, data.length - maxPoints);
}
function clearCharts() {
  for (const chart of Object.values(charts)) { for (const d of chart.data.datasets) d.data = []; chart.update("none"); }
  marks.length = 0;
  nextIndex = 0;
  document.body.dataset.points = "0";
}
let lastStage = null, lastTargetX = -1, nextIndex = 0;
function addHistory(history) {
  // A reconnected stream starts again from where it was opened: skip the seconds already drawn.
  // Only the seconds not drawn yet, and of those no more than a chart keeps (a page opened late).
  const points = history.points.slice(Math.max(0, nextIndex - history.first)).slice(-maxPoints);
  nextIndex = Math.max(nextIndex, history.next);
  for (const p of points) {
    const x = p.elapsed_s;
    push(charts.rps, 0, x, p.rps); push(charts.rps, 1, x, p.failures_per_s);
    push(charts.latency, 0, x, p.response_time_ms.p50); push(charts.latency, 1, x, p.response_time_ms.p95);
    push(charts.latency, 2, x, p.response_time_ms.p99);
    push(charts.intended, 0, x, p.from_intended_start_ms.p50); push(charts.intended, 1, x, p.from_intended_start_ms.p95);
    push(charts.intended, 2, x, p.from_intended_start_ms.p99);
    push(charts.users, 0, x, p.users); push(charts.users, 1, x, p.dropped / p.interval_s);
    push(charts.generator, 0, x, p.generator_cpu_percent); push(charts.generator, 1, x, p.loop_lag_max_ms);
    if (p.stage && p.stage !== lastStage) { marks.push({ x: x - p.interval_s, name: p.stage }); lastStage = p.stage; }
  }
  document.body.dataset.points = String(Number(document.body.dataset.points) + points.length);
}
function cell(row, text, className) {
  const td = document.createElement("td"); td.textContent = text; if (className) td.className = className; row.appendChild(td); return td;
}
function fillTable(id, rows, make) {
  const body = $(id).querySelector("tbody"); body.replaceChildren();
  for (const r of rows) { const tr = document.createElement("tr"); make(tr, r); body.appendChild(tr); }
}
const sortValue = {
  method: (r) => r.method, name: (r) => r.name, requests: (r) => r.requests, failures: (r) => r.failures,
  median: (r) => r.response_time_ms.median, p95: (r) => r.response_time_ms.p95, p99: (r) => r.response_time_ms.p99,
  max: (r) => r.response_time_ms.max, rps: (r) => r.rps, ip99: (r) => r.from_intended_start_ms.p99,
};
function endpointRow(tr, r) {
  cell(tr, r.method || ""); cell(tr, r.name); cell(tr, r.requests);
  cell(tr, r.failures + " (" + fmt(r.requests ? r.failures / r.requests * 100 : 0, 1) + "%)");
  cell(tr, fmt(r.response_time_ms.median)); cell(tr, fmt(r.response_time_ms.p95)); cell(tr, fmt(r.response_time_ms.p99));
  cell(tr, fmt(r.response_time_ms.max)); cell(tr, fmt(r.rps, 1)); cell(tr, fmt(r.from_intended_start_ms.p99));
}
function showStatus(s) {
  status = s;
  document.body.dataset.phase = s.phase;
  $("phase").textContent = s.phase;
  $("users-now").textContent = s.users;
  $("rps-now").textContent = s.totals ? fmt(s.totals.rps, 1) : "0";
  $("failures-now").textContent = s.totals && s.totals.requests ? fmt(s.totals.failures / s.totals.requests * 100, 2) + "%" : "0%";
  $("stage-now").textContent = s.stage && s.phase !== "finished" ? s.stage.name + (s.stage.remaining_s != null ? " (" + Math.ceil(s.stage.remaining_s) + " s left)" : "") : "–";
  $("elapsed-now").textContent = Math.floor(s.elapsed_s) + " s";
  $("message").textContent = s.message || "";
  const running = s.phase === "running" || s.phase === "stopping";
  $("start-section").hidden = running;
  $("control-section").hidden = !running;
  $("skip-button").hidden = !s.has_stages;
  $("scale-users-fields").hidden = s.open_model; $("scale-rate-fields").hidden = !s.open_model;
  $("downloads").hidden = !s.reports_ready;
  $("target-chart").hidden = !s.target_process;
  if (s.target_process) {
    $("target-now").innerHTML = "";
    $("target-now").append("target CPU ", Object.assign(document.createElement("b"), { textContent: fmt(s.target_process.cpu_percent, 0) + "%" }),
                           " RSS ", Object.assign(document.createElement("b"), { textContent: fmt(s.target_process.rss_bytes / 1048576, 0) + " MiB" }));
    if (s.target_process.elapsed_s > lastTargetX) {
      lastTargetX = s.target_process.elapsed_s;
      push(charts.target, 0, lastTargetX, s.target_process.cpu_percent); push(charts.target, 1, lastTargetX, s.target_process.rss_bytes / 1048576);
    }
  }
  let rows = s.endpoints.slice();
  if (sortKey) rows.sort((a, b) => { const x = sortValue[sortKey](a), y = sortValue[sortKey](b); return (x < y ? -1 : x > y ? 1 : 0) * (sortDescending ? -1 : 1); });
  if (s.totals) rows.push(Object.assign({}, s.totals, { method: "", name: "Aggregated" }));
  fillTable("endpoints-table", rows, endpointRow);
  $("stages-section").hidden = !s.stages.length;
  fillTable("stages-table", s.stages, (tr, st) => {
    const t = st.totals;
    cell(tr, st.name); cell(tr, st.arrival_rate != null ? fmt(st.arrival_rate, 0) + " it/s" : st.users + " users @ " + fmt(st.spawn_rate, 1) + "/s");
    cell(tr, t.requests); cell(tr, t.failures); cell(tr, fmt(t.rps, 1)); cell(tr, fmt(t.response_time_ms.median));
    cell(tr, fmt(t.response_time_ms.p95)); cell(tr, fmt(t.response_time_ms.p99)); cell(tr, fmt(t.from_intended_start_ms.p99));
  });
  $("thresholds-section").hidden = !s.thresholds.length;
  fillTable("thresholds-table", s.thresholds, (tr, t) => {
    cell(tr, t.metric); cell(tr, t.expression); cell(tr, t.observed == null ? "–" : fmt(t.observed) + " " + t.unit);
    if (t.passed == null) cell(tr, "not judged yet", "pending"); else cell(tr, t.passed ? "PASS" : "FAIL", t.passed ? "pass" : "fail");
  });
  $("failures-section").hidden = !s.failures.length;
  fillTable("failures-table", s.failures, (tr, f) => { cell(tr, f.method); cell(tr, f.name); cell(tr, f.message); cell(tr, f.count); });
  $("warnings-section").hidden = !s.warnings.length;
  $("warnings").replaceChildren(...s.warnings.map((w) => Object.assign(document.createElement("div"), { className: "warning", textContent: w })));
}
document.querySelectorAll("#endpoints-table th.sortable").forEach((th) => th.addEventListener("click", () => {
  if (sortKey === th.dataset.key) sortDescending = !sortDescending; else { sortKey = th.dataset.key; sortDescending = true; }
  if (status) showStatus(status);
}));
async function call(path, body) {
  const response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json", "X-Cicada-Token": token },
                                       body: JSON.stringify(body || {}) });
  const reply = await response.json().catch(() => ({ error: "the server answered " + response.status }));
  if (!response.ok) throw reply;
  return reply;
}
function fillForm(d) {
  defaults = d;
  $("scenario-name").textContent = d.scenario;
  $("users").value = d.users != null ? d.users : "";
  $("spawn_rate").value = d.spawn_rate != null ? d.spawn_rate : "";
  $("arrival_rate").value = d.arrival_rate != null ? d.arrival_rate : "";
  $("host").value = d.host || "";
  $("run_time").value = d.run_time || "";
  $("stages").value = d.stages || "";
  const box = $("user-classes"); box.replaceChildren();
  for (const name of d.user_classes) {
    const label = document.createElement("label"); label.style.display = "inline"; label.style.marginRight = "12px"; label.style.fontWeight = "normal";
    const input = Object.assign(document.createElement("input"), { type: "checkbox", name: "user_classes", value: name,
                                                                   checked: d.selected_user_classes.includes(name) });
    label.append(input, " " + name); box.appendChild(label);
  }
}
$("start-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  document.querySelectorAll("#start-form .field-error").forEach((e) => e.textContent = "");
  const body = {};
  const stages = $("stages").value.trim();
  if (stages) body.stages = stages;
  else {
    for (const name of ["users", "spawn_rate", "arrival_rate"]) { const v = $(name).value.trim(); if (v) body[name] = v; }
  }
  for (const name of ["host", "run_time"]) { const v = $(name).value.trim(); if (v) body[name] = v; }
  // Always the ticked list, so that ticking every class runs every class whatever the command line chose.
  body.user_classes = [...document.querySelectorAll('input[name="user_classes"]:checked')].map((c) => c.value);
  try {
    await call("/api/start", body);
  } catch (reply) {
    const where = reply.field && $("error-" + reply.field) ? $("error-" + reply.field) : $("error-form");
    where.textContent = reply.error;
  }
});
$("scale-button").addEventListener("click", async () => {
  $("error-scale").textContent = "";
  const body = status && status.open_model ? { arrival_rate: $("scale-arrival-rate").value }
                                           : { users: $("scale-users").value, spawn_rate: $("scale-spawn-rate").value || undefined };
  try { await call("/api/scale", body); } catch (reply) { $("error-scale").textContent = reply.error; }
});
for (const [id, path] of [["skip-button", "/api/skip-stage"], ["stop-button", "/api/stop"], ["reset-button", "/api/reset"]]) {
  $(id).addEventListener("click", async () => {
    $("error-scale").textContent = "";
    try { await call(path); } catch (reply) { $("error-scale").textContent = reply.error; }
  });
}
fetch("/api/defaults").then((r) => { if (!r.ok) throw new Error("the server answered " + r.status); return r.json(); })
  .then(fillForm).catch((error) => { $("message").textContent = "the form's values could not be read: " + error.message; });
// The live updates. The browser reconnects by itself after a network error; a refusal closes the stream,
// so the page opens a new one a little later, and says meanwhile that what it shows is not live.
function follow() {
  const events = new EventSource("/api/events");
  events.addEventListener("update", (event) => {
    const update = JSON.parse(event.data);
    if (update.history.run !== currentRun) {
      if (currentRun !== -1) { clearCharts(); lastStage = null; lastTargetX = -1; }
      currentRun = update.history.run;
    }
    addHistory(update.history);
    showStatus(update.status);
    for (const chart of Object.values(charts)) chart.update("none");
  });
  events.addEventListener("refused", (event) => { $("message").textContent = "not live: " + event.data; });
  events.onerror = () => {
    $("message").textContent = "not live: the connection to Cicada is lost; trying again";
    if (events.readyState === EventSource.CLOSED) setTimeout(follow, 5000);
  };
}
follow();
</script>
</body>
</html>
"""#
}
