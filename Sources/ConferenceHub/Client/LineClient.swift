// `conference-hub client`: the line-oriented client for people at a terminal.
import Foundation
import Messaging
import NIOCore

/// Reads commands and messages line by line, prints events and replies as readable lines, and
/// reconnects (rejoining its rooms from the last event it saw) when the connection drops.
final class LineClient {
    static let helpSummary =
        "/join ROOM, /leave [ROOM], /room ROOM (switch), /rooms, /who, /history [N] [before|after SEQ], /case [CASE], /cases, /send {JSON}, /help, /quit; any other line is posted to the current room."

    private let configuration: HubClientConfiguration
    private let group: EventLoopGroup
    private let output: ConsoleOutput
    /// Waits before reconnection attempts.
    private let backoff: [Duration]
    /// 1, 2, 4, 8 and 16 s, then every 30 s: a hub restart is bridged at once, and an outage of
    /// up to about ten minutes without the person doing anything.
    static let defaultBackoff: [Duration] =
        [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16)] + Array(repeating: .seconds(30), count: 19)

    private var client: HubClient?
    private var joined: [String] = []
    private var current: String?
    private var posts = 0
    private let session = String(UInt32.random(in: 0...UInt32.max), radix: 36)

    init(
        configuration: HubClientConfiguration, group: EventLoopGroup, output: ConsoleOutput,
        backoff: [Duration] = LineClient.defaultBackoff
    ) {
        self.configuration = configuration
        self.group = group
        self.output = output
        self.backoff = backoff
    }

    /// Runs until the end of input or `/quit` (status 0), or until the connection is lost for good
    /// (status 1).
    func run(input: (AsyncStream<ClientInput>, AsyncStream<ClientInput>.Continuation)) async -> Int32 {
        let (stream, continuation) = input
        do {
            try await connect(positions: [:], continuation: continuation)
        } catch {
            output.error("conference-hub client: \(error)")
            return 1
        }
        for await item in stream {
            switch item {
            case .line(let line):
                if await handle(line) == false {
                    await client?.close()
                    return 0
                }
            case .endOfInput:
                await client?.close()
                return 0
            case .closed(let closedClient, let error):
                guard closedClient === client else { continue }
                output.line("* connection lost: \(error)")
                if case .closed(code: 1008?, _) = error {
                    output.error("conference-hub client: the hub ended the session (\(error)); not reconnecting")
                    return 1
                }
                if await !reconnect(positions: closedClient.positions, continuation: continuation) { return 1 }
            }
        }
        return 0
    }

    private func connect(positions: [String: RoomPositionSeen], continuation: AsyncStream<ClientInput>.Continuation) async throws {
        let output = self.output
        let connected = try await HubClient.connect(configuration: configuration, group: group, positions: positions) { message in
            for line in LineFormat.lines(for: message) { output.line(line) }
        }
        client = connected
        if let identity = connected.identity {
            output.line("* connected as \(identity.person) (\(identity.unit); \(identity.roles.joined(separator: ", ")))")
        }
        if let line = Self.certificateWarning(connected.certificate) { output.line(line) }
        Task {
            try? await connected.closed.get()
            continuation.yield(.closed(connected, connected.closeError ?? .closed(code: nil, reason: nil)))
        }
    }

    private func reconnect(positions: [String: RoomPositionSeen], continuation: AsyncStream<ClientInput>.Continuation) async -> Bool {
        for (attempt, wait) in backoff.enumerated() {
            try? await Task.sleep(for: wait)
            do {
                try await connect(positions: positions, continuation: continuation)
            } catch HubClientError.refused(let code, let message) {
                output.error("conference-hub client: \(code): \(message)")
                return false
            } catch {
                output.line("* reconnect attempt \(attempt + 1) of \(backoff.count) failed: \(error)")
                continue
            }
            let rooms = joined
            joined = []
            for room in rooms { await join(room, makeCurrent: room == current) }
            return true
        }
        output.error("conference-hub client: could not reconnect; giving up")
        return false
    }

    /// Said on connecting with a client certificate that expires within 30 days.
    static func certificateWarning(_ certificate: HubCertificateStatus?) -> String? {
        guard let certificate, certificate.daysLeft < CertificateExpiry.warningDays else { return nil }
        return "* your certificate expires on \(certificate.expires) (\(max(0, certificate.daysLeft)) days left): ask an administrator to issue a new one"
    }

    /// Handles one input line; false means quit.
    private func handle(_ line: String) async -> Bool {
        let text = line.trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return true }
        guard text.hasPrefix("/") else {
            guard let room = current else {
                output.line("! join a room first (/join ROOM); /rooms lists the rooms you may join")
                return true
            }
            posts += 1
            await perform("post", ["room": room, "text": text, "key": "cli-\(session)-\(posts)"])
            return true
        }
        let words = text.dropFirst().split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let command = words.first ?? ""
        let arguments = Array(words.dropFirst())
        switch command {
        case "quit", "exit", "q":
            return false
        case "help", "?":
            output.line(Self.helpSummary)
        case "join":
            guard let room = arguments.first else { output.line("! usage: /join ROOM"); break }
            await join(room, makeCurrent: true)
        case "leave":
            guard let room = arguments.first ?? current else { output.line("! usage: /leave ROOM"); break }
            if await perform("leave", ["room": room]) {
                joined.removeAll { $0 == room }
                if current == room { current = joined.last }
                if let current { output.line("* current room: \(current)") }
            }
        case "room":
            guard let room = arguments.first else {
                output.line(current.map { "* current room: \($0); joined: \(joined.joined(separator: ", "))" } ?? "* no room joined")
                break
            }
            guard joined.contains(room) else { output.line("! not in \(room); /join \(room) first"); break }
            current = room
            output.line("* current room: \(room)")
        case "rooms":
            await perform("rooms", ["limit": 500])
        case "who":
            guard let room = arguments.first ?? current else { output.line("! join a room first"); break }
            await perform("who", ["room": room])
        case "history":
            guard let room = current else { output.line("! join a room first"); break }
            guard let fields = Self.historyFields(arguments) else {
                output.line("! usage: /history [N] [before SEQ | after SEQ]")
                break
            }
            await perform("history", fields.merging(["room": room]) { first, _ in first })
        case "case":
            guard let room = arguments.first ?? current, room.hasPrefix("case-") else { output.line("! usage: /case case-N"); break }
            await perform("case.overview", ["case": room])
        case "cases":
            await perform("cases", ["limit": 100])
        case "send":
            let json = text.dropFirst().dropFirst("send".count).trimmingCharacters(in: .whitespaces)
            guard let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any],
                let type = object["type"] as? String
            else { output.line("! usage: /send {\"type\": \"…\", …}"); break }
            await perform(type, object)
        default:
            output.line("! unknown command /\(command); /help lists them")
        }
        return true
    }

    private func join(_ room: String, makeCurrent: Bool) async {
        if joined.contains(room) {
            current = room
            output.line("* current room: \(room)")
            return
        }
        guard let client else { return }
        do {
            // HubClient resumes from the last event seen in the room; the observer prints the reply.
            try await client.join(room)
        } catch HubClientError.refused(let code, _) {
            guard code == "invalid_state" else { return }  // already in the room
        } catch {
            output.line("! \(error)")
            return
        }
        joined.append(room)
        if makeCurrent || current == nil { current = room }
    }

    /// `/history [N] [before SEQ | after SEQ]` as request fields; nil when malformed.
    static func historyFields(_ arguments: [String]) -> [String: Any]? {
        var fields: [String: Any] = ["limit": 20]
        var rest = arguments[...]
        while let word = rest.popFirst() {
            if word == "before" || word == "after" {
                guard let value = rest.popFirst().flatMap(Int.init), value >= 0 else { return nil }
                fields[word] = value
            } else if let limit = Int(word), limit > 0 {
                fields["limit"] = limit
            } else {
                return nil
            }
        }
        return fields
    }

    /// Sends a request; the observer prints its reply. Returns whether it succeeded.
    @discardableResult
    private func perform(_ type: String, _ fields: [String: Any]) async -> Bool {
        guard let client else { return false }
        do {
            return try await client.send(type, fields).isOK
        } catch {
            output.line("! \(error)")
            return false
        }
    }
}

/// How the line client shows replies and events.
enum LineFormat {
    /// The lines to print for one message from the hub (none for quiet replies).
    static func lines(for message: HubMessage) -> [String] {
        if message.isEvent { return [event(message.object)] }
        if !message.isOK {
            return ["! \(message.errorCode ?? "error"): \(message.errorMessage ?? message.text)"]
        }
        let result = message.result
        switch message.requestType {
        case "auth", "hello":
            return []
        case "post":
            return result["duplicate"] as? Bool == true ? ["* already posted as #\(number(result["seq"]))"] : []
        case "join":
            let room = result["room"] as? String ?? "?"
            var line = "* joined \(room) at #\(number(result["seq"]))"
            if result["recovered"] as? Bool == true {
                line += ", recovered \(number(result["replayed"])) missed event(s)"
            } else if let reason = result["reason"] as? String, reason != "no_last_seq" {
                line += " (missed events not replayed: \(reason); /history before \(number(result["seq"]) + 1) pages them)"
            }
            return [line, "* present: " + members(result["presence"])]
        case "leave":
            return ["* left \(result["room"] as? String ?? "?")"]
        case "who":
            return ["* in \(result["room"] as? String ?? "?"): " + members(result["members"])]
        case "rooms":
            let rooms = result["rooms"] as? [[String: Any]] ?? []
            var lines = rooms.map { room in
                var line = "  \(room["room"] as? String ?? "?")  \(room["title"] as? String ?? "")"
                if let status = room["status"] as? String { line += "  [\(status)]" }
                return line
            }
            if let next = result["next"] as? String { lines.append("  … more (/send {\"type\": \"rooms\", \"after\": \"\(next)\"})") }
            return lines.isEmpty ? ["* no rooms"] : lines
        case "case.overview":
            return overview(result)
        case "cases":
            return cases(result)
        case "history":
            let events = result["events"] as? [[String: Any]] ?? []
            var lines = events.map { "  " + event($0) }
            if events.isEmpty { lines.append("  (no events)") }
            if result["more"] as? Bool == true, let first = events.first {
                lines.append("  … older: /history before \(number(first["seq"]))")
            }
            return lines
        default:
            return [pretty(result)]
        }
    }

    /// A `case.overview` as a short block: what the case is, who holds it, what runs and who owes what.
    static func overview(_ result: [String: Any]) -> [String] {
        var lines = ["\(result["case"] as? String ?? "?")  \(result["title"] as? String ?? "")  [\(result["status"] as? String ?? "?")]"]
        var holders = "  lead " + ((result["lead"] as? String) ?? "not assigned yet")
        let coHandling = result["co_handling"] as? [String] ?? []
        if !coHandling.isEmpty { holders += "; co-handling " + coHandling.joined(separator: ", ") }
        lines.append(holders)
        for deadline in result["deadlines"] as? [[String: Any]] ?? [] {
            var line = "  deadline \(deadline["kind"] as? String ?? "?"): due \(deadline["due"] as? String ?? "?"), "
            let seconds = number(deadline["seconds_left"])
            line += deadline["overdue"] as? Bool == true || seconds < 0 ? "OVERDUE by \(span(-seconds))" : "\(span(seconds)) left"
            let owed = deadline["owed_by"] as? [String] ?? []
            if !owed.isEmpty { line += " (\(owed.joined(separator: ", ")))" }
            lines.append(line)
        }
        let tasks = result["tasks_by_unit"] as? [String: [[String: Any]]] ?? [:]
        for unit in tasks.keys.sorted() {
            for task in tasks[unit] ?? [] {
                var line = "  task \(number(task["task"])) (\(unit)): \(task["what"] as? String ?? ""), due \(task["due"] as? String ?? "?") — \(task["state"] as? String ?? "?")"
                if let progress = task["progress"] as? String { line += ", \(progress)" }
                if task["overdue"] as? Bool == true { line += ", OVERDUE" }
                lines.append(line)
            }
        }
        if let answer = result["answer"] as? [String: Any] {
            var line = "  answer version \(number(answer["version"])): signed by " + list(answer["signed_by"])
            let objections = (answer["objections"] as? [[String: Any]] ?? []).map { "\($0["unit"] as? String ?? "?") (\($0["reason"] as? String ?? ""))" }
            if !objections.isEmpty { line += "; objections: " + objections.joined(separator: ", ") }
            if !(answer["awaiting"] as? [String] ?? []).isEmpty { line += "; awaiting " + list(answer["awaiting"]) }
            lines.append(line)
        }
        for item in result["supervision_items"] as? [[String: Any]] ?? [] where item["answered"] as? Bool != true {
            var line = "  supervision \(number(item["item"])) (\(item["unit"] as? String ?? "?")): \(item["demand"] as? String ?? ""), due \(item["due"] as? String ?? "?")"
            if item["escalated"] as? Bool == true { line += ", escalated" }
            lines.append(line)
        }
        if let listed = result["listed"] as? [String: Any] { lines.append("  listed for supervision: \(listed["reason"] as? String ?? "")") }
        for waiting in result["waiting_on"] as? [[String: Any]] ?? [] {
            lines.append("  waiting on \(waiting["unit"] as? String ?? "?"): \(waiting["what"] as? String ?? "")")
        }
        return lines
    }

    /// A `cases` page, a line a case: `case-12  [in_handling]  lead housing  Relocation compensation`.
    static func cases(_ result: [String: Any]) -> [String] {
        let cases = result["cases"] as? [[String: Any]] ?? []
        var lines = cases.map { item in
            "  \(item["case"] as? String ?? "?")  [\(item["status"] as? String ?? "?")]  lead \(item["lead"] as? String ?? "-")  \(item["title"] as? String ?? "")"
        }
        if lines.isEmpty { lines.append("* no cases") }
        if let next = result["next"] as? String { lines.append("  … more (/send {\"type\": \"cases\", \"after\": \"\(next)\"})") }
        return lines
    }

    /// `1 d 4 h`, `3 h 20 min`, `12 min`, `40 s`: a time span to the coarsest two units.
    static func span(_ seconds: Int) -> String {
        let seconds = max(0, seconds)
        let days = seconds / 86_400, hours = seconds % 86_400 / 3_600, minutes = seconds % 3_600 / 60
        if days > 0 { return hours > 0 ? "\(days) d \(hours) h" : "\(days) d" }
        if hours > 0 { return minutes > 0 ? "\(hours) h \(minutes) min" : "\(hours) h" }
        if minutes > 0 { return "\(minutes) min" }
        return "\(seconds) s"
    }

    private static func list(_ value: Any?) -> String {
        let items = value as? [String] ?? []
        return items.isEmpty ? "nobody" : items.joined(separator: ", ")
    }

    /// One event as a line: `case-12 #48 10:31:12 h-officer (housing): text`.
    static func event(_ object: [String: Any]) -> String {
        let head = "\(object["room"] as? String ?? "?") #\(number(object["seq"])) \(clock(object["at"] as? String))"
        switch object["kind"] as? String {
        case "message":
            let from = object["from"] as? [String: Any] ?? [:]
            return "\(head) \(from["person"] as? String ?? "?") (\(from["unit"] as? String ?? "?")): \(object["text"] as? String ?? "")"
        case "presence":
            return "\(head) * \(object["person"] as? String ?? "?") (\(object["unit"] as? String ?? "?")) \(object["presence"] as? String ?? "?")"
        case "case":
            let event = object["case_event"] as? [String: Any] ?? [:]
            let change = (event["change"] as? [String: Any])?["type"] as? String ?? "change"
            return "\(head) * \(object["case"] as? String ?? "case"): \(change) by \(event["actor_person"] as? String ?? "?") (\(event["actor_unit"] as? String ?? "?"))"
        case "notice":
            var line = "\(head) * \(object["case"] as? String ?? "case") \(object["notice"] as? String ?? "notice"): \(object["title"] as? String ?? "")"
            if let lead = object["lead"] as? String { line += "; lead \(lead)" }
            if let reason = object["reason"] as? String { line += "; disputed (\(reason)), decided by \(object["decided_by"] as? String ?? "?")" }
            if let due = object["due"] as? String { line += "; due \(due)" }
            if object["overdue"] as? Bool == true { line += "; OVERDUE" }
            return line
        default:
            var rest = object
            for key in ["type", "room", "seq", "epoch", "at"] { rest[key] = nil }
            return "\(head) * \(pretty(rest))"
        }
    }

    private static func members(_ value: Any?) -> String {
        let list = (value as? [[String: Any]] ?? []).map { "\($0["person"] as? String ?? "?") (\($0["unit"] as? String ?? "?"))" }
        return list.isEmpty ? "nobody" : list.joined(separator: ", ")
    }

    private static func number(_ value: Any?) -> Int { (value as? NSNumber)?.intValue ?? 0 }

    /// `2026-11-22T02:31:12.002Z` as the local wall-clock time `10:31:12`.
    static func clock(_ iso: String?) -> String {
        guard let iso else { return "--:--:--" }
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = parser.date(from: iso) else { return iso }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: date)
    }

    private static func pretty(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "\(object)" }
        return String(decoding: data, as: UTF8.self)
    }
}
