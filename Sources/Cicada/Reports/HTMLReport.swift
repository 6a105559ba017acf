import Foundation

/// The `--html` report: one self-contained file that loads nothing from the network. Its tables (totals,
/// stages, endpoints, failures, thresholds, settings) are HTML written here, readable without scripts;
/// its charts (requests/s and failures/s, both latencies' p50/p95/p99, users, CPU and memory of the
/// generator and the watched target, stage boundaries marked) are drawn by Chart.js, Debian's
/// `libjs-chart.js`, inlined into the file, from the JSON summary embedded beside it. A
/// Content-Security-Policy forbids every fetch, so a report opened from a CI artifact cannot call out.
public enum HTMLReport {
    /// Where Debian's `libjs-chart.js` puts the library.
    public static let chartLibraryPath = "/usr/share/javascript/chart.js/Chart.min.js"
    /// Chart.js 3 is about 200 KiB; a file much larger than that is not the library.
    static let chartLibraryLimit = 4 << 20

    /// Reads the chart library, before the run, so that a machine without it is told at once.
    /// - Throws: ``CicadaError`` saying what to install.
    public static func loadChartLibrary(path: String = chartLibraryPath) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CicadaError("the HTML report draws its charts with Chart.js, which is not at \(path): install Debian's libjs-chart.js (apt-get install libjs-chart.js)")
        }
        guard info.st_size <= chartLibraryLimit, let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw CicadaError("\(path) is not a readable Chart.js of at most \(chartLibraryLimit >> 20) MiB")
        }
        return text
    }

    /// The report. `settings` are label and value pairs shown as they are (the command line, the target);
    /// `warnings` are ``generatorWarnings(_:)``'s, shown under the verdict, where the console prints them.
    public static func render(summary: JSONSummary, thresholds: [ThresholdOutcome], settings: [(String, String)],
                              warnings: [String] = [], chartLibrary: String) throws -> String {
        let data = String(decoding: try summary.encoded(), as: UTF8.self)
        var body = "<h1>Cicada load test: \(escape(summary.target))</h1>\n"
        body += verdict(summary, thresholds)
        body += warningList(warnings)
        body += section("Charts", charts(summary))
        if !thresholds.isEmpty { body += section("Thresholds", thresholdTable(thresholds)) }
        body += section("Whole run", totalsTable([("Whole run", summary.totals)]) + endpointTable(summary.endpoints))
        if let stages = summary.stages {
            let rows = stages.map { stage in
                let load = stage.arrivalRate.map { "to \(number($0)) iterations/s" } ?? "\(stage.users) users at \(number(stage.spawnRate))/s"
                return ("\(stage.name) (\(load), from \(number(stage.startedS)) s for \(number(stage.durationS)) s)", stage.totals)
            }
            var text = totalsTable(rows)
            for stage in stages { text += "<h3>Stage \(escape(stage.name))</h3>\n" + endpointTable(stage.endpoints) }
            body += section("Stages", text)
        }
        if let limit = summary.limit {
            let rows = limit.steps.map { [escape($0.stage), $0.held ? "<span class=\"pass\">held</span>" : "<span class=\"fail\">broke</span>"] }
            body += section("Breaking point", table(["Step", "Verdict"], rows))
        }
        if let arrival = summary.arrival {
            body += section("Arrival schedule", table(["Scheduled", "Started", "Dropped", "Pre-allocated users", "Users added",
                                                        "Max users", "On saturation"],
                                                       [["\(arrival.scheduled)", "\(arrival.started)", "\(arrival.dropped)",
                                                         "\(arrival.preAllocatedUsers)", "\(arrival.usersAdded)", "\(arrival.maxUsers)",
                                                         escape(arrival.onSaturation) + (arrival.onSaturation == "queue" ? " (at most \(arrival.queueLimit))" : "")]]))
        }
        body += section("Failures", failureTable(summary.failures))
        body += section("Generator", generatorTable(summary.generator))
        body += section("Settings", table(["Setting", "Value"], settings.map { [escape($0.0), "<code>\(escape($0.1))</code>"] }))
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Cicada: \(escape(summary.target))</title>
            <style>\(style)</style>
            </head>
            <body>
            \(body)
            <script type="application/json" id="cicada-summary">\(scriptSafe(data))</script>
            <script>\(scriptSafe(chartLibrary))</script>
            <script>\(chartScript)</script>
            </body>
            </html>

            """
    }

    // MARK: Tables

    private static func verdict(_ summary: JSONSummary, _ thresholds: [ThresholdOutcome]) -> String {
        let failed = thresholds.filter { !$0.passed }.count
        let totals = summary.totals
        let line = "\(totals.requests) requests in \(number(totals.durationS)) s (\(fixed(totals.rps, 1)) req/s): "
            + "\(totals.successes) succeeded, \(totals.failures) failed, \(totals.cancelled) cancelled"
        // A breaking-point search's thresholds are its criteria: its finding is the verdict, not PASS/FAIL.
        if let limit = summary.limit { return "<p id=\"verdict\">\(escape(limit.sentence))</p>\n<p>\(escape(line))</p>\n" }
        let judged = thresholds.isEmpty ? "" : failed == 0
            ? "<p class=\"pass\" id=\"verdict\">PASS: all \(thresholds.count) thresholds held</p>\n"
            : "<p class=\"fail\" id=\"verdict\">FAIL: \(failed) of \(thresholds.count) thresholds failed</p>\n"
        return judged + "<p>\(escape(line))</p>\n"
    }

    /// The generator's warnings, boxed at the top so that a result limited by the generator is not read as
    /// the target's.
    private static func warningList(_ warnings: [String]) -> String {
        guard !warnings.isEmpty else { return "" }
        return "<div class=\"warning\" id=\"generator-warnings\" role=\"alert\"><strong>Warning: the generator may have "
            + "limited this result</strong>\n<ul>\n" + warnings.map { "<li>\(escape($0))</li>\n" }.joined() + "</ul></div>\n"
    }

    private static func thresholdTable(_ outcomes: [ThresholdOutcome]) -> String {
        table(["Threshold", "Observed", "Verdict"], outcomes.map { outcome in
            var verdict = outcome.passed ? "<span class=\"pass\">PASS</span>" : "<span class=\"fail\">FAIL</span>"
            if let abort = outcome.aborted {
                verdict += escape(" (aborted the run at \(fixed(abort.elapsed, 1)) s: observed \(ThresholdOutcome.format(abort.observed, of: outcome.rule)))")
            }
            return [escape(outcome.rule.threshold.description),
                    escape(outcome.rule.aggregation.text + " = " + outcome.observedText), verdict]
        })
    }

    private static func totalsTable(_ rows: [(String, JSONSummary.Totals)]) -> String {
        table(["", "Requests", "Failures", "Cancelled", "Dropped iterations", "req/s", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "p99.9 ms", "max ms",
               "p99 from intended start ms"], rows.map { name, totals in
            let time = totals.responseTimeMs
            return [escape(name), "\(totals.requests)", "\(totals.failures) (\(fixed(totals.failureRatio * 100, 2))%)",
                    "\(totals.cancelled)", "\(totals.dropped)", fixed(totals.rps, 1)]
                + [time.median, time.p90, time.p95, time.p99, time.p99_9, time.max, totals.fromIntendedStartMs.p99].map(ms)
        })
    }

    private static func endpointTable(_ endpoints: [JSONSummary.EndpointSummary]) -> String {
        table(["Method", "Name", "Requests", "Failures", "req/s", "avg ms", "p50 ms", "p90 ms", "p95 ms", "p99 ms",
               "p99.9 ms", "max ms"], endpoints.map { endpoint in
            let time = endpoint.responseTimeMs
            return [escape(endpoint.method), escape(endpoint.name), "\(endpoint.requests)", "\(endpoint.failures)",
                    fixed(endpoint.rps, 1)] + [time.avg, time.median, time.p90, time.p95, time.p99, time.p99_9, time.max].map(ms)
        })
    }

    private static func failureTable(_ failures: [JSONSummary.FailureRow]) -> String {
        guard !failures.isEmpty else { return "<p>No request failed.</p>\n" }
        return table(["Occurrences", "Method", "Name", "Kind", "Error"], failures.map {
            ["\($0.count)", escape($0.method), escape($0.name), escape($0.kind), escape($0.message)]
        })
    }

    private static func generatorTable(_ generator: JSONSummary.Generator) -> String {
        table(["Figure", "Value"], [
            ["Worker threads", "\(generator.threads)"], ["Peak users", "\(generator.usersPeak)"],
            ["CPU (of one core, over the run)", fixed(generator.cpuPercent, 1) + "%"],
            ["Peak resident memory", fixed(Double(generator.peakRssBytes) / 1_048_576, 1) + " MiB"],
            ["Event-loop lag p99 / max", ms(generator.loopLagP99Ms) + " / " + ms(generator.loopLagMaxMs) + " ms"],
            ["Connections opened", "\(generator.connectionsOpened)"], ["Samples dropped", "\(generator.samplesDropped)"],
        ])
    }

    private static func charts(_ summary: JSONSummary) -> String {
        let names = ["throughput": "Requests and failures per second", "latency": "Response time (ms): from the send, and from the intended start",
                     "users": "Users", "cpu": "CPU (% of one core)", "memory": "Resident memory (MiB)"]
        return ["throughput", "latency", "users", "cpu", "memory"].map { id in
            "<figure><figcaption>\(names[id]!)</figcaption><div class=\"chart\"><canvas id=\"chart-\(id)\"></canvas></div></figure>\n"
        }.joined()
    }

    private static func section(_ title: String, _ content: String) -> String {
        "<section><h2>\(escape(title))</h2>\n\(content)</section>\n"
    }

    /// A table of cells that are HTML already (escaped by the caller).
    private static func table(_ header: [String], _ rows: [[String]]) -> String {
        "<table><thead><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>\n"
            + rows.map { "<tr>" + $0.map { "<td>\($0)</td>" }.joined() + "</tr>\n" }.joined() + "</tbody></table>\n"
    }

    // MARK: Text

    private static func escape(_ text: String) -> String { Markup.escape(text) }

    /// Text that may sit inside a `<script>` element: `</` cannot end it early, and `<!--` cannot open a
    /// comment state. In JSON and JavaScript strings and regular expressions, `<\/` means `</`.
    static func scriptSafe(_ text: String) -> String {
        text.replacingOccurrences(of: "</", with: "<\\/").replacingOccurrences(of: "<!--", with: "<\\!--")
    }

    private static func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
    private static func ms(_ value: Double) -> String { StatsTable.ms(value) }
    private static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : fixed(value, 1)
    }

    private static let style = """
        body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
        h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
        table{border-collapse:collapse;font-size:.85em;margin:.5em 0}th,td{border:1px solid #ddd;padding:.25em .5em;text-align:right}
        th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
        .pass{color:#176b2c;font-weight:bold}.fail{color:#b00020;font-weight:bold}
        .warning{background:#fff4e5;border:2px solid #e08a00;padding:.5em 1em;margin:1em 0}.warning ul{margin:.3em 0}
        figure{margin:1em 0}figcaption{font-weight:bold;margin-bottom:.3em}.chart{position:relative;height:260px}
        code{font-size:.9em;word-break:break-all}
        """

    /// Draws the charts from the embedded summary and then, for the tests and for anyone curious, writes on
    /// each canvas how many of its pixels were painted (`data-painted`) and on the body how many charts were
    /// drawn (`data-charts`); any fetch the policy refused is counted in `data-blocked`.
    private static let chartScript = """
        (function () {
          var blocked = 0;
          document.addEventListener('securitypolicyviolation', function () { blocked++; document.body.dataset.blocked = blocked; });
          document.body.dataset.blocked = 0;
          var s = JSON.parse(document.getElementById('cicada-summary').textContent);
          var h = s.history || [];
          function series(f) { return h.map(function (p) { return {x: p.elapsed_s, y: f(p)}; }); }
          function line(label, data, color, dashed) {
            return {label: label, data: data, borderColor: color, backgroundColor: color, borderWidth: 1.5,
                    pointRadius: 0, borderDash: dashed ? [5, 4] : [], tension: 0};
          }
          var stages = (s.stages || []).map(function (st) { return {x: st.started_s, name: st.name}; });
          var stageLines = {
            id: 'stageLines',
            afterDatasetsDraw: function (chart) {
              var x = chart.scales.x, area = chart.chartArea, c = chart.ctx;
              c.save(); c.strokeStyle = '#888'; c.fillStyle = '#555'; c.setLineDash([2, 3]); c.font = '11px sans-serif';
              stages.forEach(function (st) {
                var px = x.getPixelForValue(st.x);
                if (px < area.left - 1 || px > area.right + 1) return;
                c.beginPath(); c.moveTo(px, area.top); c.lineTo(px, area.bottom); c.stroke();
                c.fillText(st.name, px + 3, area.top + 11);
              });
              c.restore();
            }
          };
          function chart(id, datasets) {
            var canvas = document.getElementById('chart-' + id);
            new Chart(canvas, {type: 'line', data: {datasets: datasets}, plugins: [stageLines],
              options: {animation: false, responsive: true, maintainAspectRatio: false, parsing: false, normalized: true,
                        interaction: {mode: 'nearest', axis: 'x', intersect: false},
                        scales: {x: {type: 'linear', min: 0, title: {display: true, text: 'seconds from the start'}}, y: {beginAtZero: true}}}});
          }
          var throughput = [line('requests/s', series(function (p) { return p.rps; }), '#1f77b4'),
                            line('failures/s', series(function (p) { return p.failures_per_s; }), '#d62728')];
          // The open model's dropped iterations, per second of each point.
          if (s.arrival) throughput.push(line('dropped/s', series(function (p) { return p.dropped / p.interval_s; }), '#8c564b', true));
          chart('throughput', throughput);
          var colors = {p50: '#2ca02c', p95: '#ff7f0e', p99: '#9467bd'};
          var latency = [];
          ['p50', 'p95', 'p99'].forEach(function (k) {
            latency.push(line(k, series(function (p) { return p.response_time_ms[k]; }), colors[k]));
            latency.push(line(k + ' from intended start', series(function (p) { return p.from_intended_start_ms[k]; }), colors[k], true));
          });
          chart('latency', latency);
          chart('users', [line('users', series(function (p) { return p.users; }), '#17becf')]);
          var target = s.monitor ? s.monitor.combined.history : [];
          function targetSeries(f) { return target.map(function (p) { return {x: p.elapsed_s, y: f(p)}; }); }
          var cpu = [line('generator', series(function (p) { return p.generator_cpu_percent; }), '#8c564b')];
          var memory = [line('generator', series(function (p) { return p.generator_rss_bytes / 1048576; }), '#8c564b')];
          if (target.length) {
            cpu.push(line('target', targetSeries(function (p) { return p.cpu_percent; }), '#e377c2'));
            memory.push(line('target', targetSeries(function (p) { return p.rss_bytes / 1048576; }), '#e377c2'));
          }
          chart('cpu', cpu);
          chart('memory', memory);
          var drawn = 0;
          document.querySelectorAll('canvas').forEach(function (canvas) {
            var d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data, n = 0;
            for (var i = 3; i < d.length; i += 4) if (d[i]) n++;
            canvas.dataset.painted = n;
            canvas.dataset.points = Chart.getChart(canvas).data.datasets.reduce(function (a, ds) { return a + ds.data.length; }, 0);
            drawn++;
          });
          document.body.dataset.charts = drawn;
        })();
        """
}
