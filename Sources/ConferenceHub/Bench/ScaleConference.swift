// ScaleConference: the city conference `bench scale` builds through the store — 54 departments
// under 6 district governments plus the conference office, 2 coordinators, two officers and a
// leader per department and a leader per government — and its cases in every stage: a tenth to
// route, two fifths through negotiation (open, disputed, settled), a quarter in handling (tasks,
// one in twenty under listed supervision), a tenth answered, a tenth closed. And the requests it
// times.
import CaseCore
import Foundation

enum ScaleConference {
    static let governments = (1...6).map { UnitID("gov-\($0)") }
    static let departments = (1...54).map { UnitID(String(format: "dept-%02d", $0)) }

    /// A clock that moves a fixed step per reading while the conference is built, so that its
    /// history ends about now; then it stands at the real time for the sweeps that follow.
    final class SteppingClock: HubClock, @unchecked Sendable {
        private let lock = NSLock()
        private var current: Timestamp
        private var stepMilliseconds: Int64
        init(start: Timestamp, stepMilliseconds: Int64) {
            current = start
            self.stepMilliseconds = stepMilliseconds
        }
        func now() -> Timestamp { lock.withLock { current = Timestamp(milliseconds: current.milliseconds + stepMilliseconds); return current } }
        /// The time without moving it.
        var peek: Timestamp { lock.withLock { current } }
        /// Stops stepping, at `instant`.
        func stand(at instant: Timestamp) { lock.withLock { (current, stepMilliseconds) = (instant, 0) } }
    }

    /// How long the built history spans, ending about now.
    static let historyDays: Int64 = 90

    struct Built {
        let events: Int64
        let seconds: Double
        /// Bearer tokens of the people whose requests are timed.
        let tokens: [String: String]
    }

    /// The requests timed: a name, then who asks what of a conference of `size` cases.
    static let requests: [(String, @Sendable (Int) -> (String, String, [String: Any]))] = [
        ("inbox, busy officer", { _ in ("officer-dept-01", "inbox", ["limit": 50]) }),
        ("inbox, government leader", { _ in ("leader-gov-1", "inbox", ["limit": 50]) }),
        ("inbox, coordinator", { _ in ("coordinator-1", "inbox", ["limit": 50]) }),
        // The console's case list asks for summaries; pages of whole cases (the default view, for
        // other clients) with the filters too.
        ("cases, whole cases, first page", { _ in ("coordinator-1", "cases", ["limit": 100]) }),
        ("cases, whole cases, a late page", { size in ("coordinator-1", "cases", ["limit": 100, "after": "case-\(size * 9 / 10)"]) }),
        ("cases, whole cases, in handling", { _ in ("coordinator-1", "cases", ["limit": 100, "status": "in_handling"]) }),
        ("cases, whole cases, my unit leads", { _ in ("officer-dept-01", "cases", ["limit": 100, "relation": "lead"]) }),
        ("cases, whole cases, overdue", { _ in ("coordinator-1", "cases", ["limit": 100, "overdue": true]) }),
        ("cases, all, first page", { _ in ("coordinator-1", "cases", ["limit": 100, "view": "summary"]) }),
        ("cases, a late page", { size in ("coordinator-1", "cases", ["limit": 100, "view": "summary", "after": "case-\(size * 9 / 10)"]) }),
        ("cases, in handling", { _ in ("coordinator-1", "cases", ["limit": 100, "view": "summary", "status": "in_handling"]) }),
        ("cases, my unit leads", { _ in ("officer-dept-01", "cases", ["limit": 100, "view": "summary", "relation": "lead"]) }),
        ("cases, overdue", { _ in ("coordinator-1", "cases", ["limit": 100, "view": "summary", "overdue": true]) }),
        ("cases, listed supervision", { _ in ("coordinator-1", "cases", ["limit": 100, "view": "summary", "listed": true]) }),
        ("cases, search a rare title", { _ in ("coordinator-1", "cases", ["limit": 100, "view": "summary", "search": "漏水"]) }),
        ("supervision", { _ in ("coordinator-1", "supervision", [:]) }),
        ("deadlines, 50 % and above", { _ in ("coordinator-1", "deadlines", ["level": 50]) }),
        ("figures, all units, 90 days", { _ in ("coordinator-1", "figures", ["from": day(-89), "to": day(0)]) }),
        // Joined without `last_seq` (nothing replayed) and left again after each timed join.
        ("join a case room", { size in ("coordinator-1", "join", ["room": "case-\(max(1, size / 2))"]) }),
        ("case.overview", { size in ("coordinator-1", "case.overview", ["case": "case-\(max(1, size / 2))"]) }),
        ("case.get", { size in ("coordinator-1", "case.get", ["case": "case-\(max(1, size / 2))"]) }),
    ]

    /// Today, moved by `days`, in the conference's time zone (the default policy's).
    static func day(_ days: Int) -> String {
        let zone = DeadlinePolicy().timeZone
        return zone.localDate(of: Date()).adding(days: days).description
    }

    /// Builds the conference in `directory` (initialized, empty) through its store.
    static func build(in directory: DataDirectory, cases: Int, eventsPerCase: Int, writers: Int) async throws -> Built {
        // One clock reading per event, about: the history spans `historyDays` and ends about now.
        let now = Timestamp(Date())
        let span = historyDays * 86_400_000
        let clock = SteppingClock(start: Timestamp(milliseconds: now.milliseconds - span),
                                  stepMilliseconds: max(1, span / Int64(max(1, cases * eventsPerCase))))
        let store = try CaseStore(path: directory.database, clock: clock)
        defer { store.close() }
        for government in governments { try await store.addUnit(Unit(id: government, name: "区政府 \(government.rawValue)", kind: .government)) }
        for (index, department) in departments.enumerated() {
            try await store.addUnit(Unit(id: department, name: "部门 \(department.rawValue)", kind: .department, parent: governments[index % governments.count]))
        }
        var tokens: [String: String] = [:]
        func person(_ id: String, _ unit: UnitID, _ roles: Set<Role>, token: Bool = false) async throws {
            try await store.addPerson(Person(id: PersonID(id), name: id, unit: unit, roles: roles))
            guard token else { return }
            let secret = CaseStore.makeToken()
            _ = try await store.addCredential(person: PersonID(id), kind: .token, digest: CaseStore.tokenDigest(secret), label: "bench", at: clock.peek)
            tokens[id] = secret
        }
        for number in 1...2 { try await person("coordinator-\(number)", DataDirectory.officeUnit, [.coordinator], token: number == 1) }
        for government in governments { try await person("leader-\(government.rawValue)", government, [.leader], token: government == governments[0]) }
        for department in departments {
            try await person("officer-\(department.rawValue)", department, [.officer], token: department == departments[0])
            try await person("officer2-\(department.rawValue)", department, [.officer])
            try await person("leader-\(department.rawValue)", department, [.leader])
        }
        let coordinator = Actor(person: PersonID("coordinator-1"), unit: DataDirectory.officeUnit, roles: [.coordinator])
        let perWriter = (cases + writers - 1) / writers
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for index in 0..<perWriter {
                        let number = writer * perWriter + index
                        guard number < cases else { break }
                        try await makeCase(number, eventsPerCase: eventsPerCase, store: store, clock: clock, coordinator: coordinator)
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - started
        // What the hub's sweeps did along the way: lapsed negotiations disputed, each deadline's
        // warnings posted. Done now, so that the timed requests do not share the hub with them.
        clock.stand(at: Timestamp(Date()))
        while try await !store.sweep().isEmpty {}
        while try await !store.postDeadlineWarnings().isEmpty {}
        let events = try await store.read { try $0.query("SELECT COUNT(*) FROM case_events").first?.int(0) ?? 0 }
        return Built(events: events, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, tokens: tokens)
    }

    /// One case, in the stage its number gives it.
    private static func makeCase(_ number: Int, eventsPerCase: Int, store: CaseStore, clock: SteppingClock, coordinator: Actor) async throws {
        let lead = departments[number % departments.count]
        var helper = departments[(number * 7 + 3) % departments.count]
        if helper == lead { helper = departments[(number + 1) % departments.count] }
        func officer(_ unit: UnitID) -> Actor { Actor(person: PersonID("officer-\(unit.rawValue)"), unit: unit, roles: [.officer]) }
        let leadLeader = Actor(person: PersonID("leader-\(lead.rawValue)"), unit: lead, roles: [.leader])
        let stage = number % 20
        let title = number % 97 == 0 ? "屋顶漏水 \(number)" : "拆迁补偿纠纷 \(number)"
        let registration = Registration(
            title: title, summary: "The household asks for the compensation agreed in 2019.", category: [.claim, .suggestion, .accusation][number % 3],
            channel: [.letter, .visit, .phone, .online][number % 4],
            receivedOn: store.policy.timeZone.localDate(of: clock.peek.date).adding(days: -1), involvedUnits: [lead, helper],
            petitioner: Petitioner(name: "Petitioner \(number)", contact: "contact-\(number)"))
        let negotiated = (2...9).contains(stage)
        let id = try await store.register(registration, by: coordinator, open: negotiated).caseID
        func step(_ change: CaseChange, _ actor: Actor) async throws { _ = try await store.perform(change, on: id, by: actor) }
        switch stage {
        case 0, 1: return  // waits for the office to route it
        case 2...5: return  // the negotiation is open, nobody has answered
        case 6, 7:
            try await step(.negotiationAnswered(unit: lead, answer: .claim), officer(lead))
            try await step(.negotiationAnswered(unit: helper, answer: .claim), officer(helper))
            return  // disputed: the common superior or the office decides
        case 8, 9:
            try await step(.negotiationAnswered(unit: lead, answer: .claim), officer(lead))
            try await step(.negotiationAnswered(unit: helper, answer: .cohandle), officer(helper))
            return  // settled: the lead owes the notice of acceptance
        case 19:
            try await step(.assigned(Assignment(lead: lead, coHandling: [helper], rationale: "Within its remit")), coordinator)
            return
        default:
            break
        }
        try await step(.assigned(Assignment(lead: lead, coHandling: [helper], rationale: "Within its remit")), coordinator)
        try await step(.accepted, officer(lead))
        try await step(.handlingStarted, officer(lead))
        let due = store.policy.timeZone.localDate(of: clock.peek.date).adding(days: 15)
        try await step(.taskAssigned(TaskAssignment(unit: helper, what: "Confirm the budget line", due: due)), officer(lead))
        if number % 2 == 0 { try await step(.taskAcknowledged(task: 1), officer(helper)) }
        if stage == 18 {
            try await step(.listedSupervisionSet(reason: "Repeated visits to the city"), coordinator)
            try await step(.supervisionOpened(SupervisionDemand(unit: lead, reason: "Slow", demand: "Report progress", due: due)), coordinator)
        }
        // Cases past acceptance carry the rest of the events as plan revisions.
        var written = 6
        while written < eventsPerCase * 2 - 6 {
            try await step(.planSet(HandlingPlan(responsibleLeader: leadLeader.person, responsiblePerson: officer(lead).person,
                                                 measures: ["Verify the agreement (revision \(written))"], resolutionDeadline: due)), officer(lead))
            written += 1
        }
        guard (14...17).contains(stage) else { return }
        let answer = Answer(request: "Pay the compensation", factsAndReasons: "Verified on site.", decision: .support, legalBasis: "Art. 33")
        if number % 2 != 0 { try await step(.taskAcknowledged(task: 1), officer(helper)) }
        try await step(.taskDone(task: 1, result: "Confirmed"), officer(helper))
        try await step(.taskAccepted(task: 1), officer(lead))
        try await step(.answerDrafted(answer), officer(lead))
        try await step(.answerCosigned(version: 1), officer(helper))
        try await step(.answered(answer), officer(lead))
        guard stage >= 16 else { return }
        try await step(.satisfactionRated(.satisfied), coordinator)
        try await step(.closed(reason: "Resolved"), coordinator)
    }
}
