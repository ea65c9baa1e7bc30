// `conference-hub bench cases`: fills a database with cases through the real store (group commit,
// hash chain, projections) and times the CaseCore queries the hub and people use.
import ArgumentParser
import CaseCore
import Foundation

struct CasesBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cases", abstract: "Fill a database with cases and events, then time the CaseCore queries.")

    @Option(help: "Cases to create.")
    var cases: Int = 100_000

    @Option(help: "Events per case (at least 8; plan revisions make up the rest).")
    var eventsPerCase: Int = 20

    @Option(help: "Concurrent writers while filling.")
    var writers: Int = 64

    @Option(help: "Runs of each query.")
    var runs: Int = 30

    @Option(help: "Database file (default: a temporary file, removed afterwards). An existing file is reused as is.")
    var database: String?

    @Option(help: "Write the JSON result to this file as well.")
    var json: String?

    func validate() throws {
        guard cases > 0, eventsPerCase >= 8, writers > 0, runs > 0 else {
            throw ValidationError("positive --cases, --writers and --runs; --events-per-case at least 8")
        }
    }

    /// A clock that moves 10 seconds per reading, so the filled history spans months.
    final class SteppingClock: HubClock, @unchecked Sendable {
        private let lock = NSLock()
        private var current: Timestamp
        init(start: Timestamp) { current = start }
        func now() -> Timestamp {
            lock.withLock {
                current = current.adding(seconds: 10)
                return current
            }
        }
    }

    static let units = (1...40).map { UnitID(String(format: "unit-%02d", $0)) }
    static let office = UnitID("conference-office")

    func run() async throws {
        let temporary = database == nil
        let path = database ?? NSTemporaryDirectory() + "chub-bench-\(UUID().uuidString).sqlite"
        defer { if temporary { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } } }
        let start = Timestamp(ISO8601DateFormatter().date(from: "2026-01-05T01:00:00Z")!)
        let clock = SteppingClock(start: start)
        let store = try CaseStore(path: path, clock: clock)
        defer { store.close() }

        var fillSeconds: Double?
        let existing = try await store.read { try $0.query("SELECT COUNT(*) FROM cases").first?.int(0) ?? 0 }
        if existing == 0 {
            fillSeconds = try await fill(store) / 1000
        }
        let counts = try await store.read { connection in
            (try connection.query("SELECT COUNT(*) FROM cases").first?.int(0) ?? 0,
             try connection.query("SELECT COUNT(*) FROM case_events").first?.int(0) ?? 0)
        }
        let now = clock.now()
        let unit = Self.units[7]
        let leader = PersonID("leader-\(unit.rawValue)")
        let sampleCase = CaseID(max(1, counts.0 / 2))
        let zone = store.policy.timeZone
        let yearStart = zone.localDate(of: start.date), yearEnd = zone.localDate(of: now.date)
        let monthStart = yearEnd.adding(days: -30)

        let queries: [(String, @Sendable () async throws -> Void)] = [
            ("cases by unit (lead), page of 100", { _ = try await store.cases(for: unit, relation: .lead, limit: 100) }),
            ("cases by unit (co-handling, in handling)", { _ = try await store.cases(for: unit, relation: .coHandling, status: .inHandling, limit: 100) }),
            ("cases by unit (involved), page of 100", { _ = try await store.cases(for: unit, relation: .involved, limit: 100) }),
            ("cases by status (in handling), page of 100", { _ = try await store.cases(status: .inHandling, limit: 100) }),
            ("cases by responsible leader", { _ = try await store.cases(responsibleLeader: leader, limit: 100) }),
            ("deadlines at or past 75%", { _ = try await store.deadlines(atOrAbove: .threeQuarters, at: now, limit: 100) }),
            ("overdue deadlines", { _ = try await store.deadlines(atOrAbove: .overdue, at: now, limit: 100) }),
            ("one case's full history", { _ = try await store.history(of: sampleCase) }),
            ("figures, all units, whole period", { _ = try await store.figures(from: yearStart, to: yearEnd, now: now) }),
            ("figures, one unit, whole period", { _ = try await store.figures(from: yearStart, to: yearEnd, unit: unit, now: now) }),
            ("figures, all units, last 30 days", { _ = try await store.figures(from: monthStart, to: yearEnd, now: now) }),
        ]
        var results: [(String, LatencySummary)] = []
        for (name, query) in queries {
            try await query()  // warm the page cache and statement cache
            var samples: [Double] = []
            for _ in 0..<runs { samples.append(try await measureMilliseconds(query)) }
            results.append((name, LatencySummary(milliseconds: samples)))
        }

        print("bench cases: \(counts.0) cases, \(counts.1) events\(fillSeconds.map { String(format: ", filled in %.1f s (%.0f events/s)", $0, Double(counts.1) / $0) } ?? "")")
        print("query".padding(toLength: 46, withPad: " ", startingAt: 0) + "   p50 ms   p99 ms   max ms")
        for (name, summary) in results {
            print(name.padding(toLength: 46, withPad: " ", startingAt: 0)
                  + String(format: " %8.2f %8.2f %8.2f", summary.p50, summary.p99, summary.max))
        }
        struct Output: Codable {
            let scenario: String
            let cases: Int64
            let events: Int64
            let fillSeconds: Double?
            let queries: [String: LatencySummary]
        }
        let output = Output(scenario: "cases", cases: counts.0, events: counts.1, fillSeconds: fillSeconds,
                            queries: Dictionary(uniqueKeysWithValues: results))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(output)
        print(String(decoding: data, as: UTF8.self))
        if let json { try data.write(to: URL(fileURLWithPath: json)) }
    }

    /// Creates the units, people and cases; returns the time it took in milliseconds.
    private func fill(_ store: CaseStore) async throws -> Double {
        try await store.addUnit(Unit(id: Self.office, name: "Conference Office", kind: .petitionBureau))
        for unit in Self.units { try await store.addUnit(Unit(id: unit, name: unit.rawValue, kind: .department)) }
        let coordinator = Actor(person: PersonID("coordinator"), unit: Self.office, roles: [.coordinator])
        let casesPerWriter = (cases + writers - 1) / writers
        let total = cases
        let eventsPerCase = eventsPerCase
        return try await measureMilliseconds {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        var generator = SystemRandomNumberGenerator()
                        for index in 0..<casesPerWriter {
                            let number = writer * casesPerWriter + index
                            guard number < total else { break }
                            try await Self.makeCase(number: number, eventsPerCase: eventsPerCase, store: store,
                                                    coordinator: coordinator, generator: &generator)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    /// One case through a realistic life: negotiation for some, plan revisions, answer, rating,
    /// review for some, closure for most.
    private static func makeCase(
        number: Int, eventsPerCase: Int, store: CaseStore, coordinator: Actor, generator: inout SystemRandomNumberGenerator
    ) async throws {
        let lead = units[number % units.count]
        let helper = units[(number * 7 + 3) % units.count]
        let officer = Actor(person: PersonID("officer-\(lead.rawValue)"), unit: lead, roles: [.officer])
        let leaderActor = Actor(person: PersonID("leader-\(lead.rawValue)"), unit: lead, roles: [.leader])
        let involved = lead == helper ? [lead] : [lead, helper]
        let registration = Registration(
            title: "Case \(number): relocation compensation dispute", summary: "Synthetic benchmark case \(number).",
            category: [.claim, .suggestion, .accusation][number % 3], channel: [.letter, .visit, .phone, .online][number % 4],
            receivedOn: LocalDate("2026-01-04")!, involvedUnits: involved,
            petitioner: Petitioner(name: "Petitioner \(number)", contact: "contact-\(number)"))
        let id = try await store.register(registration, by: coordinator).caseID
        var written = 1
        func step(_ change: CaseChange, _ actor: Actor) async throws {
            _ = try await store.perform(change, on: id, by: actor)
            written += 1
        }
        if involved.count > 1 && number % 3 == 0 { try await step(.negotiationOpened(units: involved), coordinator) }
        try await step(.assigned(Assignment(lead: lead, coHandling: involved.filter { $0 != lead })), coordinator)
        // A tenth of the cases stay waiting for acceptance or in handling, to give the queries live work.
        if number % 20 == 1 { return }
        try await step(.accepted, officer)
        try await step(.handlingStarted, officer)
        let coHandling = involved.filter { $0 != lead }
        let reserve = 3 + (number % 10 == 0 ? 3 : 0) + (coHandling.isEmpty ? 0 : 1 + coHandling.count)
        while written < eventsPerCase - reserve {
            let plan = HandlingPlan(responsibleLeader: leaderActor.person, responsiblePerson: officer.person,
                                    measures: ["Verify the facts (revision \(written))", "Coordinate payment"],
                                    resolutionDeadline: LocalDate("2026-01-20")!)
            try await step(.planSet(plan), officer)
        }
        if number % 20 == 2 { return }
        let answer = Answer(request: "Compensation", factsAndReasons: "Verified.", decision: .support, legalBasis: "Art. 33")
        if !coHandling.isEmpty {
            try await step(.answerDrafted(answer), officer)
            for unit in coHandling { try await step(.answerCosigned(version: 1), Actor(person: PersonID("officer-\(unit.rawValue)"), unit: unit, roles: [.officer])) }
        }
        try await step(.answered(Answer(request: "Compensation", factsAndReasons: "Verified.", decision: .support, legalBasis: "Art. 33")), officer)
        try await step(.satisfactionRated([.satisfied, .basicallySatisfied, .notSatisfied][Int(generator.next() % 3)]), coordinator)
        if number % 10 == 0 {
            try await step(.reviewRequested, coordinator)
            try await step(.reviewed(ReviewOpinion(upheld: true, opinion: "Stands")), coordinator)
        }
        if written < eventsPerCase { try await step(.closed(reason: "Resolved"), coordinator) }
    }
}
