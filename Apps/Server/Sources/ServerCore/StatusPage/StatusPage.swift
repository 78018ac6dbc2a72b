import Foundation
import ProstagmaProtocol

/// Renders the status page served at `GET /`: one self-contained HTML5 document.
///
/// The page is plain HTML with inline CSS and no external assets (no fonts, images or scripts by URL). It reads
/// without JavaScript: tables, badges that say "failed" in words, the failing step and the log tail of each failed
/// run expanded. With JavaScript on, a small inline script fetches `/` every ``refreshIntervalSeconds`` seconds and
/// swaps the `<main>` element, keeping any `<details>` the reader opened or closed; without JavaScript nothing
/// refreshes (there is no `<meta http-equiv="refresh">`). Every text from the snapshot is escaped
/// (``escape(_:)``), so a log line `<script>alert(1)</script>` stays text. A `Content-Security-Policy` `<meta>`
/// (``contentSecurityPolicy``) lets only the page's own script run, as a second line of defence.
public enum StatusPage {
    /// The `Content-Type` to serve the page with.
    public static let contentType = "text/html; charset=utf-8"

    /// Seconds between refreshes when JavaScript is on.
    public static let refreshIntervalSeconds = 5

    /// The page's inline script. Its SHA-256 is pinned in ``contentSecurityPolicy``: change both together (the
    /// system test `StatusPageTests` checks that the browser runs it).
    static let script = """
        (function () {
          var root = document.documentElement;
          root.setAttribute("data-refresh", "on");
          var note = document.getElementById("refresh-note");
          if (note) note.textContent = "Refreshes every 5 s.";
          var refreshed = 0;
          function refresh() {
            // origin + path, not "/": a page opened with user:pass@ in its address would pass them on, and
            // fetch refuses URLs with credentials; the browser adds the Basic auth it already holds.
            fetch(location.origin + location.pathname, { credentials: "same-origin", cache: "no-store" })
              .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.text(); })
              .then(function (text) {
                var doc = new DOMParser().parseFromString(text, "text/html");
                var fresh = doc.querySelector("main"), current = document.querySelector("main");
                if (!fresh || !current) return;
                current.querySelectorAll("details[id]").forEach(function (d) {
                  var twin = doc.getElementById(d.id);
                  if (twin && twin.tagName === "DETAILS") twin.open = d.open;
                });
                current.replaceWith(document.adoptNode(fresh));
                document.title = doc.title;
                refreshed += 1;
                root.setAttribute("data-refreshed", String(refreshed));
                if (note) note.textContent = "Refreshes every 5 s.";
              })
              .catch(function (e) { if (note) note.textContent = "Refresh failed (" + e.message + "); retrying."; })
              .then(function () { setTimeout(refresh, 5000); });
          }
          setTimeout(refresh, 5000);
        })();
        """

    /// The policy the page declares in a `<meta>` and a server may also send as a header: nothing is loaded from
    /// anywhere, inline styles apply, only the page's own script (by its SHA-256) runs and fetches `/`, and forms post
    /// only to this server (the rollout buttons).
    public static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; "
        + "script-src 'sha256-\(scriptSHA256)'; connect-src 'self'; img-src data:; "
        + "base-uri 'none'; form-action 'self'"

    /// Base64 of the SHA-256 of ``script`` (`printf %s "$script" | openssl dgst -sha256 -binary | base64`).
    static let scriptSHA256 = "+0suIArshT4HCFHUFwq0+8Wo1levTQ3421jT1d2WSk0="

    /// Renders `snapshot` as a complete HTML5 document.
    public static func render(_ snapshot: StatusSnapshot) -> String {
        let now = snapshot.generatedAt
        let failedRuns = snapshot.runs.filter { $0.status == .failed }.count
        let staleAgents = snapshot.agents.filter { $0.state == .stale }.count
        var title = "Prostagma status"
        if failedRuns > 0 { title += " — \(failedRuns) failed" }
        if staleAgents > 0 { title += " — \(staleAgents) stale" }

        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="Content-Security-Policy" content="\(escape(contentSecurityPolicy))">
            <link rel="icon" href="data:,">
            <title>\(escape(title))</title>
            <style>\(css)</style>
            </head>
            <body>
            <header><h1>Prostagma</h1><p id="refresh-note">Reload the page to see new data.</p></header>
            <main id="status">

            """
        html += "<p class=\"meta\">Generated \(time(now, now: now)) · server epoch <code>"
        html += escape(snapshot.serverEpoch) + "</code></p>\n"
        html += summary(snapshot)
        html += triggersSection(snapshot.triggers, now: now)
        html += rolloutsSection(snapshot, now: now)
        html += agentsSection(snapshot, now: now)
        html += runsSection(snapshot, now: now)
        html += historySection(snapshot, now: now)
        html += "</main>\n<script>\(script)</script>\n</body>\n</html>\n"
        return html
    }

    // MARK: - Sections

    private static func summary(_ snapshot: StatusSnapshot) -> String {
        let live = snapshot.agents.filter { $0.state == .live }.count
        let stale = snapshot.agents.count - live
        let failed = snapshot.runs.filter { $0.status == .failed }.count
        var parts = [
            plural(snapshot.triggers.count, "trigger"),
            plural(snapshot.agents.count, "agent") + " (\(live) live, \(stale) stale)",
        ]
        parts.append(
            failed == 0
                ? "no failed run among the last \(snapshot.runs.count)"
                : "<strong class=\"bad\">\(plural(failed, "failed run"))</strong> among the last \(snapshot.runs.count)"
        )
        return "<p class=\"summary\">" + parts.joined(separator: " · ") + "</p>\n"
    }

    private static func triggersSection(_ triggers: [TriggerState], now: Date) -> String {
        var html = "<section id=\"triggers\">\n<h2>Triggers</h2>\n"
        guard !triggers.isEmpty else {
            html += """
                <p class="empty">No trigger has been incremented yet. A pipeline increments one with \
                <code>POST /v1/triggers/NAME</code> (or <code>prostagma-agent trigger NAME</code>).</p>
                </section>

                """
            return html
        }
        html += "<table>\n<thead><tr><th>Trigger</th><th class=\"num\">Count</th><th>Last increment</th>"
        html += "<th>Current release</th></tr></thead>\n<tbody>\n"
        for trigger in triggers {
            html += "<tr><td>\(escape(trigger.trigger))"
            if trigger.count > 0 {
                html += " <a class=\"history\" href=\"#\(escape(anchor(forHistory: trigger.trigger)))\">history</a>"
            }
            html += "</td><td class=\"num\">\(trigger.count)</td>"
            html += "<td>\(trigger.lastIncrement.map { time($0, now: now) } ?? "never")</td>"
            if let release = trigger.release {
                html += "<td>\(releaseSummary(release))</td></tr>\n"
            } else {
                html +=
                    "<td class=\"empty\">\(trigger.count > 0 ? "none recorded (made before releases)" : "—")</td></tr>\n"
            }
        }
        return html + "</tbody>\n</table>\n</section>\n"
    }

    private static func rolloutsSection(_ snapshot: StatusSnapshot, now: Date) -> String {
        let triggers = snapshot.triggers.filter {
            snapshot.rollouts[$0.trigger] != nil || snapshot.ungated[$0.trigger] != nil
        }
        guard !triggers.isEmpty else { return "" }
        var html = "<section id=\"rollouts\">\n<h2>Rollouts</h2>\n"
        for trigger in triggers {
            let name = escape(trigger.trigger)
            html += "<div class=\"rollout\" id=\"\(escape(anchor(forRollout: trigger.trigger)))\">\n"
            guard let rollout = snapshot.rollouts[trigger.trigger] else {
                html += "<h3>\(name)</h3>\n<p class=\"empty\">No rollout: the trigger has no policy, or no release "
                html += "since it got one.</p>\n"
                html += ungatedTable(snapshot.ungated[trigger.trigger] ?? [], now: now) + "</div>\n"
                continue
            }
            let agents = rollout.agents
            let finished = agents.filter { [RolloutPlace.succeeded, .failed, .gone].contains($0.place) }.count
            html += "<h3>\(name) #\(rollout.count) \(badge(rollout.state.rawValue))"
            if rollout.count != trigger.count {
                html += " <span class=\"age\">(the current count #\(trigger.count) is not gated)</span>"
            }
            html += "</h3>\n<p class=\"progress\"><progress max=\"\(max(agents.count, 1))\" value=\"\(finished)\">"
            html += "\(finished) of \(agents.count)</progress> \(finished) of \(plural(agents.count, "agent")) finished"
            var places: [String] = []
            for place in RolloutPlace.allCases {
                let count = agents.filter { $0.place == place }.count
                if count > 0 { places.append("\(count) \(place.rawValue)") }
            }
            if !places.isEmpty { html += " (" + places.joined(separator: ", ") + ")" }
            html += " · policy: \(policyText(rollout.policy))"
            if let halted = rollout.haltedBy {
                html += " · <strong class=\"bad\">halted by \(escape(halted))'s failed run</strong>"
            }
            html += " · started \(time(rollout.startedAt, now: now))</p>\n"
            html += rolloutButtons(rollout, trigger: trigger, token: snapshot.formToken)
            html += "<table class=\"places\">\n<thead><tr><th>Agent</th><th>Place</th><th>Canary</th><th>Admitted</th>"
            html += "<th>Finished</th></tr></thead>\n<tbody>\n"
            for agent in agents {
                html += agent.place == .failed ? "<tr class=\"failed\">" : "<tr>"
                html += "<td>\(escape(agent.name))</td><td>\(badge(agent.place.rawValue))</td>"
                html += "<td>\(agent.canary ? "canary" : "")</td>"
                html += "<td>\(agent.admittedAt.map { time($0, now: now) } ?? "—")</td>"
                html += "<td>\(agent.finishedAt.map { time($0, now: now) } ?? "—")</td></tr>\n"
            }
            html += "</tbody>\n</table>\n"
            html += ungatedTable(snapshot.ungated[trigger.trigger] ?? [], now: now) + "</div>\n"
        }
        return html + "</section>\n"
    }

    /// The rollout's buttons, each a POST form carrying the CSRF token: those its state allows.
    private static func rolloutButtons(_ rollout: Rollout, trigger: TriggerState, token: String?) -> String {
        guard let token else { return "" }
        var actions: [(action: String, label: String)] = []
        if rollout.state == .running { actions.append(("pause", "Pause")) }
        if rollout.state == .paused || rollout.state == .halted { actions.append(("resume", "Resume")) }
        if rollout.state == .running || rollout.state == .paused, rollout.policy.canary > 0,
            rollout.agents.contains(where: { !$0.canary && $0.place == .waiting })
        {
            actions.append(("promote", "Promote"))
        }
        if rollout.state != .aborted, rollout.state != .succeeded { actions.append(("abort", "Abort")) }
        if trigger.count > 1 { actions.append(("rollback", "Rollback")) }
        var html = "<div class=\"controls\">"
        for (action, label) in actions {
            let target = "/status/triggers/\(escape(trigger.trigger))/\(action)"
            html += "<form method=\"post\" action=\"\(target)\" class=\"control\">"
            html += "<input type=\"hidden\" name=\"csrf\" value=\"\(escape(token))\">"
            html += "<button type=\"submit\" name=\"action\" value=\"\(action)\">\(label)</button></form>"
        }
        return html + "</div>\n"
    }

    /// Agents on the original protocol polling the trigger: not gated by any rollout.
    private static func ungatedTable(_ pollers: [OriginalPollers.Poller], now: Date) -> String {
        guard !pollers.isEmpty else { return "" }
        var html = "<p class=\"meta\">Agents on the original protocol (<code>GET /trigger</code>) send no name and "
        html += "see every count at once: no rollout gates them.</p>\n"
        html += "<table class=\"ungated\">\n<thead><tr><th>Address</th><th>Place</th><th>Last poll</th></tr></thead>\n"
        html += "<tbody>\n"
        for poller in pollers {
            html += "<tr><td>\(escape(poller.address)) (original protocol)</td><td>\(badge("ungated"))</td>"
            html += "<td>\(time(poller.lastSeen, now: now))</td></tr>\n"
        }
        return html + "</tbody>\n</table>\n"
    }

    /// A policy in one line: `max_parallel 2 · canary 1 · halt on failure`.
    private static func policyText(_ policy: RolloutPolicy) -> String {
        var parts = ["max_parallel \(policy.maxParallel.map { escape($0.description) } ?? "unlimited")"]
        if policy.canary > 0 {
            var canary = "canary \(policy.canary)"
            if let soak = policy.canarySoakSeconds { canary += " (soak \(duration(soak)))" }
            parts.append(canary)
        }
        parts.append(policy.haltOnFailure ? "halt on failure" : "no halt")
        if policy.autoRollback { parts.append("auto rollback") }
        return parts.joined(separator: ", ")
    }

    private static func agentsSection(_ snapshot: StatusSnapshot, now: Date) -> String {
        var html = "<section id=\"agents\">\n<h2>Agents</h2>\n"
        guard !snapshot.agents.isEmpty else {
            html += """
                <p class="empty">No agent has contacted this server yet. An agent appears here once it watches a \
                trigger or reports a run: start <code>prostagma-agent</code> with <code>PROSTAGMA_HOST</code> set to \
                this server's URL and <code>PROSTAGMA_SECRET</code> to its secret.</p>
                </section>

                """
            return html
        }
        let shownRuns = Set(snapshot.runs.compactMap(\.id))
        html += "<table>\n<thead><tr><th>Agent</th><th>Host</th><th>State</th><th>Last seen</th><th>Triggers</th>"
        html += "<th>Last run</th><th>Duration</th><th>Finished</th></tr></thead>\n<tbody>\n"
        for agent in snapshot.agents {
            let rowClass = [
                agent.state == .stale ? "stale" : nil, agent.lastRun?.status == .failed ? "failed" : nil,
            ].compactMap { $0 }.joined(separator: " ")
            html += rowClass.isEmpty ? "<tr>" : "<tr class=\"\(rowClass)\">"
            html += "<td>\(escape(agent.name))</td><td>\(agent.host.map(escape) ?? "—")</td>"
            html += "<td>\(badge(agent.state.rawValue))</td><td>\(time(agent.lastSeen, now: now))</td>"
            let triggers = agent.triggers.map(escape).joined(separator: ", ")
            html += "<td>\(triggers.isEmpty ? "—" : triggers)</td>"
            if let run = agent.lastRun {
                var status = badge(run.status.rawValue)
                if let id = run.id, shownRuns.contains(id) {
                    status = "<a href=\"#\(escape(anchor(forRun: id)))\">\(status)</a>"
                }
                html += "<td>\(status)</td><td>\(run.durationSeconds.map(duration) ?? "—")</td>"
                html += "<td>\(run.finishDate.map { time($0, now: now) } ?? "—")</td>"
            } else {
                html += "<td colspan=\"3\">no run reported yet</td>"
            }
            html += "</tr>\n"
        }
        return html + "</tbody>\n</table>\n</section>\n"
    }

    private static func runsSection(_ snapshot: StatusSnapshot, now: Date) -> String {
        let runs = snapshot.runs
        var html = "<section id=\"runs\">\n<h2>Recent runs</h2>\n"
        guard !runs.isEmpty else {
            html += """
                <p class="empty">No run has been reported yet. Agents report each run when it ends; a run starts \
                when a trigger the agent watches is incremented.</p>
                </section>

                """
            return html
        }
        for run in runs {
            let open = run.status == .failed ? " open" : ""
            let id = run.id ?? ""
            html +=
                "<details id=\"\(escape(anchor(forRun: id)))\" class=\"run \(cssClass(run.status.rawValue))\"\(open)>\n"
            html += "<summary>\(badge(run.status.rawValue)) <strong>\(escape(run.agent))</strong> ran "
            html += "<strong>\(escape(run.trigger))</strong> #\(run.count)"
            let release = snapshot.release(of: run)
            if let release, !release.params.isEmpty {
                html += " <span class=\"params\">" + paramsList(release.params, limit: 60) + "</span>"
            }
            if let finished = run.finishDate {
                html += ", finished \(time(finished, now: now))"
            } else if let started = run.startDate {
                html += ", started \(time(started, now: now))"
            }
            if let seconds = run.durationSeconds { html += " in \(duration(seconds))" }
            if let step = run.failedStep {
                html += " — <span class=\"bad\">failed at \(stepLabel(step))</span>"
            }
            html += "</summary>\n"
            html += "<p class=\"meta\">Run <code>\(escape(id))</code>"
            if let started = run.startDate { html += " · started \(time(started, now: now))" }
            if let finished = run.finishDate { html += " · finished \(time(finished, now: now))" }
            html += "</p>\n"
            if let release {
                html += "<p class=\"release\">Release #\(release.count): \(releaseSummary(release))</p>\n"
            } else {
                html += "<p class=\"release empty\">Release #\(run.count): none recorded</p>\n"
            }
            if let step = run.failedStep {
                html += "<p class=\"failure\">Failed at \(stepLabel(step))"
                if let code = step.exitCode { html += ": exit code \(code)" }
                // The agent's message often repeats the exit code ("exit status 3"): say it once.
                if let message = step.message, !message.isEmpty,
                    step.exitCode.map({ message != "exit status \($0)" }) ?? true
                {
                    html += ": \(escape(message))"
                }
                html += "</p>\n"
            }
            html += stepsTable(run.steps)
            if let tail = run.logTail, !tail.isEmpty {
                html += "<h3>Log tail</h3>\n<pre class=\"log\">\(escape(tail))</pre>\n"
            } else {
                html += "<p class=\"empty\">No output.</p>\n"
            }
            html += "</details>\n"
        }
        return html + "</section>\n"
    }

    private static func historySection(_ snapshot: StatusSnapshot, now: Date) -> String {
        var html = "<section id=\"releases\">\n<h2>Release history</h2>\n"
        let triggers = snapshot.triggers.filter { !(snapshot.history[$0.trigger] ?? []).isEmpty }
        guard !triggers.isEmpty else {
            html += """
                <p class="empty">No release yet. Every increment makes one; CI can give it params with \
                <code>POST /v1/triggers/NAME</code> and a body <code>{"params": {"version": "1.4.2"}}</code>.</p>
                </section>

                """
            return html
        }
        for trigger in triggers {
            let releases = snapshot.history[trigger.trigger] ?? []
            let name = escape(trigger.trigger)
            html += "<details id=\"\(escape(anchor(forHistory: trigger.trigger)))\" class=\"history\">\n"
            html += "<summary><strong>\(name)</strong>: \(plural(releases.count, "release")), newest "
            html += "#\(releases.first?.count ?? 0)</summary>\n"
            html += "<table>\n<thead><tr><th class=\"num\">Count</th><th>Made</th><th>Source</th><th>Params</th>"
            html += "<th>Note</th><th>Outcome across agents</th></tr></thead>\n<tbody>\n"
            for release in releases {
                let outcome = release.outcome ?? ReleaseOutcome()
                html += outcome.failed > 0 ? "<tr class=\"failed\">" : "<tr>"
                html += "<td class=\"num\">\(release.count)</td><td>\(time(release.createdAt, now: now))</td>"
                html += "<td>\(sourceText(release))</td>"
                html += "<td>\(release.params.isEmpty ? "—" : paramsList(release.params, limit: 200))</td>"
                html += "<td>\(release.note.map(escape) ?? "")</td><td>\(outcomeText(outcome))</td></tr>\n"
            }
            html += "</tbody>\n</table>\n"
            html += "<p class=\"meta\">Full history: <code>GET /v1/triggers/\(name)/releases</code></p>\n"
            html += "</details>\n"
        }
        return html + "</section>\n"
    }

    private static func stepsTable(_ steps: [RunReport.Step]) -> String {
        guard !steps.isEmpty else { return "<p class=\"empty\">No steps reported.</p>\n" }
        var html = "<table class=\"steps\">\n<thead><tr><th class=\"num\">Step</th><th>Kind</th><th>Status</th>"
        html +=
            "<th class=\"num\">Duration</th><th class=\"num\">Exit code</th><th>Message</th></tr></thead>\n<tbody>\n"
        for step in steps {
            html += step.status == .failed ? "<tr class=\"failed\">" : "<tr>"
            html +=
                "<td class=\"num\">\(number(of: step))</td><td>\(escape(step.kind))</td><td>\(badge(step.status.rawValue))</td>"
            html += "<td class=\"num\">\(duration(step.durationSeconds))</td>"
            html += "<td class=\"num\">\(step.exitCode.map { String($0) } ?? "—")</td>"
            html += "<td>\(step.message.map(escape) ?? "")</td></tr>\n"
        }
        return html + "</tbody>\n</table>\n"
    }

    // MARK: - Pieces

    /// Escapes `text` for HTML text and quoted attribute values: `&`, `<`, `>`, `"` and `'`.
    public static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// How long ago `date` was, seen from `now`: "just now", "12 s ago", "5 min ago", "3 h ago", "2 d ago", or
    /// "in 4 s" for a date after `now` (clocks of agents and server disagree).
    public static func age(of date: Date, now: Date) -> String {
        let seconds = now.timeIntervalSince(date)
        guard abs(seconds) >= 1 else { return "just now" }
        let whole = Int(abs(seconds).rounded(.down))
        let text: String
        switch whole {
        case ..<60: text = "\(whole) s"
        case ..<3600: text = "\(whole / 60) min"
        case ..<86_400: text = "\(whole / 3600) h"
        default: text = "\(whole / 86_400) d"
        }
        return seconds > 0 ? "\(text) ago" : "in \(text)"
    }

    /// `date` in UTC RFC 3339 (`2026-11-25T10:00:00Z`).
    public static func rfc3339(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }

    /// A duration for people: "420 ms", "12.3 s", "3 min 12 s", "2 h 5 min".
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "—" }
        // Past this, `Int(seconds)` would trap (a report may say 1e300); no real step runs 30,000 years.
        if seconds >= 1e12 { return String(format: "%.3g s", seconds) }
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return "\(whole / 60) min \(whole % 60) s" }
        return "\(whole / 3600) h \((whole % 3600) / 60) min"
    }

    /// The `id` of a run's `<details>`: `run-` and the id with anything but letters, digits, `-` and `_` replaced.
    static func anchor(forRun id: String) -> String {
        "run-"
            + String(
                id.unicodeScalars.map { scalar -> Character in
                    scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "-" || scalar == "_")
                        ? Character(scalar) : "_"
                })
    }

    /// The `id` of a trigger's release history: `history-` and the name (trigger names are letters, digits and
    /// `._-`; anything else is replaced all the same).
    static func anchor(forHistory trigger: String) -> String {
        "history-" + String(anchor(forRun: trigger).dropFirst(4))
    }

    /// The `id` of a trigger's rollout view: `rollout-` and the name, as ``anchor(forHistory:)``.
    static func anchor(forRollout trigger: String) -> String {
        "rollout-" + String(anchor(forRun: trigger).dropFirst(4))
    }

    /// A release in one line: source, rollback, note and params.
    private static func releaseSummary(_ release: Release) -> String {
        var parts = [sourceText(release)]
        if let note = release.note, !note.isEmpty { parts.append("<q>\(escape(note))</q>") }
        parts.append(release.params.isEmpty ? "no params" : paramsList(release.params, limit: 200))
        return parts.joined(separator: " · ")
    }

    /// Who made a release: its source, the pusher and commit of a webhook, and what a rollback went back to.
    private static func sourceText(_ release: Release) -> String {
        var text = "<span class=\"source\">\(escape(release.source.rawValue))</span>"
        if let rollback = release.rollbackOf { text += " rollback of #\(rollback)" }
        if let forge = release.forge {
            let pieces = [forge.pusher, forge.ref, forge.commit.map { String($0.prefix(12)) }].compactMap { $0 }
            if !pieces.isEmpty { text += " (\(pieces.map(escape).joined(separator: " ")))" }
        }
        return text
    }

    /// Params as `name=value` pairs in name order, each value cut to `limit` characters.
    private static func paramsList(_ params: [String: String], limit: Int) -> String {
        params.sorted { $0.key < $1.key }.map { name, value in
            let shown = value.count > limit ? String(value.prefix(limit)) + "…" : value
            return "<code>\(escape(name))=\(escape(shown))</code>"
        }.joined(separator: " ")
    }

    /// A release's outcome: how many agents' runs succeeded, failed or were cancelled.
    private static func outcomeText(_ outcome: ReleaseOutcome) -> String {
        if outcome.isEmpty { return "<span class=\"empty\">no run reported</span>" }
        var parts: [String] = []
        if outcome.succeeded > 0 { parts.append("\(badge("succeeded")) \(outcome.succeeded)") }
        if outcome.failed > 0 { parts.append("\(badge("failed")) \(outcome.failed)") }
        if outcome.cancelled > 0 { parts.append("\(badge("cancelled")) \(outcome.cancelled)") }
        return parts.joined(separator: " ")
    }

    private static func time(_ date: Date, now: Date) -> String {
        let stamp = escape(rfc3339(date))
        return "<time datetime=\"\(stamp)\">\(stamp)</time> <span class=\"age\">(\(age(of: date, now: now)))</span>"
    }

    private static func stepLabel(_ step: RunReport.Step) -> String {
        "step \(number(of: step)) (\(escape(step.kind)))"
    }

    /// A step's 1-based number. An agent's report may carry any 64-bit index: `Int.max + 1` crashed the page.
    static func number(of step: RunReport.Step) -> String {
        step.index < Int.max ? String(step.index + 1) : String(step.index)
    }

    private static func badge(_ status: String) -> String {
        "<span class=\"badge \(cssClass(status))\">\(escape(status))</span>"
    }

    /// Known statuses get their colour; anything else a neutral one (never the raw text in a class).
    private static func cssClass(_ status: String) -> String {
        switch status {
        case "succeeded", "live": "ok"
        case "failed", "halted": "failed"
        case "cancelled", "stale", "paused", "gone", "ungated", "aborted": "warn"
        default: "other"
        }
    }

    private static func plural(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }

    private static let css = """
        :root{color-scheme:light dark;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--line:#d0d7de;--muted:#57606a}
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:1rem 1.5rem;\
        max-width:80rem}
        header{display:flex;align-items:baseline;gap:1rem;flex-wrap:wrap}
        h1{font-size:1.4rem;margin:0}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}h3{font-size:.95rem;margin:.75rem 0 .25rem}
        #refresh-note,.meta,.age,.empty{color:var(--muted)}
        table{border-collapse:collapse;width:100%;margin:.25rem 0}
        th,td{border-bottom:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
        th{font-weight:600}.num{text-align:right;font-variant-numeric:tabular-nums}
        tr.failed td{background:rgba(207,34,46,.08)}tr.stale td{color:var(--muted)}
        .badge{display:inline-block;padding:0 .45rem;border-radius:.6rem;font-size:.8rem;font-weight:600;\
        border:1px solid currentColor}
        .badge.ok{color:var(--ok)}.badge.failed{color:#fff;background:var(--bad);border-color:var(--bad)}
        .badge.warn{color:var(--warn)}.badge.other{color:var(--muted)}
        .bad{color:var(--bad)}.failure{color:var(--bad);font-weight:600}
        details.run{border:1px solid var(--line);border-radius:.4rem;padding:.4rem .75rem;margin:.5rem 0}
        details.run.failed{border-color:var(--bad);border-left-width:.3rem}
        summary{cursor:pointer}
        pre.log{background:rgba(127,127,127,.1);padding:.5rem;overflow:auto;max-height:24rem;white-space:pre-wrap;\
        word-break:break-all;font:12px/1.4 ui-monospace,monospace}
        code{font-family:ui-monospace,monospace}
        .params code,.release code,td code{margin-right:.4rem;word-break:break-all}
        .source{font-weight:600}a.history{font-size:.8rem;margin-left:.4rem}
        details.history{border:1px solid var(--line);border-radius:.4rem;padding:.4rem .75rem;margin:.5rem 0}
        div.rollout{border:1px solid var(--line);border-radius:.4rem;padding:.4rem .75rem;margin:.5rem 0}
        progress{width:12rem;vertical-align:middle}.controls{display:flex;gap:.5rem;margin:.4rem 0}
        form.control{margin:0}form.control button{font:inherit;padding:.15rem .8rem;cursor:pointer}
        """
}
