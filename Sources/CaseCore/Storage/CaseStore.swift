// CaseStore: CaseCore's durable store. Writes go through one group-commit writer; each accepted
// change becomes a hash-chained event and updates the projections in the same transaction.
// Reads use their own connection. Nothing is acknowledged before its commit is on disk.
import Foundation

/// The durable case store over one SQLite database file.
public final class CaseStore: Sendable {
    /// What write jobs get: the writer connection plus reusable coders. Writer thread only.
    final class WriterContext: WriterLifecycle {
        let connection: SQLiteConnection
        let policy: DeadlinePolicy
        /// Events and records: keys sorted, so that the bytes hashed are the same on every write.
        let encoder: JSONEncoder
        /// Case states and work items, which are read back by key and never hashed: written in one
        /// pass, keys in the order the type writes them (Foundation's encoder, with sorted keys,
        /// was about a third of a change's cost).
        let stateEncoder = StreamingJSONEncoder()
        let decoder = JSONDecoder()
        /// Recently written case states with their last hash. Only the writer changes cases, so
        /// these are current unless a transaction rolls back (then the cache is emptied).
        var cache: [CaseID: (state: PetitionCase, lastHash: [UInt8])] = [:]
        static let cacheLimit = 20_000
        /// Each room's epoch and last sequence, as written (cleared on rollback).
        var rooms: [String: (epoch: String, lastSequence: Int64)] = [:]
        /// The decision log's leaf hashes (nil until first needed; cleared on rollback).
        var decisionLeafCache: [[UInt8]]?
        /// Room events written in the open transaction, handed to the sink after COMMIT.
        var pendingRoomEvents: [RoomEventRecord] = []
        private var jobMark = 0
        let rooming: RoomingConfiguration

        func jobStarted() { jobMark = pendingRoomEvents.count }

        func jobFailed() {
            pendingRoomEvents.removeSubrange(jobMark...)
            // A failed job may have cached what it wrote before failing.
            cache.removeAll()
            rooms.removeAll()
            decisionLeafCache = nil
        }

        func transactionCommitted() {
            guard !pendingRoomEvents.isEmpty else { return }
            let committed = pendingRoomEvents
            pendingRoomEvents.removeAll(keepingCapacity: true)
            rooming.deliver(committed)
        }

        func transactionRolledBack() {
            pendingRoomEvents.removeAll()
            cache.removeAll()
            rooms.removeAll()
            decisionLeafCache = nil
        }

        init(connection: SQLiteConnection, policy: DeadlinePolicy, rooming: RoomingConfiguration) {
            self.connection = connection
            self.policy = policy
            self.rooming = rooming
            encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        }
    }

    public let path: String
    public let policy: DeadlinePolicy
    let clock: HubClock
    private let writer: GroupCommitWriter<WriterContext>
    private let reader: ReaderPool
    /// The registration numbers (登记编号): changed by a registration that starts a year.
    let numberingBox: LockedBox<RegistrationNumbering>
    /// Where committed room events go, and how case events become room events.
    /// The hub's hooks (fixed when the store is made).
    public let rooming: RoomingConfiguration

    /// Opens (creating and migrating) the database at `path`.
    public init(path: String, policy: DeadlinePolicy = DeadlinePolicy(), clock: HubClock = SystemClock(),
                rooming: RoomingConfiguration = RoomingConfiguration()) throws {
        self.path = path
        self.rooming = rooming
        self.policy = policy
        self.clock = clock
        let connection = try HubSchema.open(path: path)
        try WorkItemRows.rebuildIfAsked(connection)
        try RegistrationYears.rebuildIfAsked(connection, zone: policy.timeZone)
        numberingBox = LockedBox(try RegistrationYears.load(connection))
        writer = GroupCommitWriter(
            connection: connection, context: WriterContext(connection: connection, policy: policy, rooming: rooming))
        reader = try ReaderPool(path: path)
    }

    /// Stops the writer after queued writes. Call once, when done with the store.
    public func close() {
        writer.stop()
    }

    /// Transactions committed so far.
    public var commitCount: Int { writer.commitCount }

    /// Calls `observer` on the writer thread for every transaction that takes `threshold` or
    /// longer from BEGIN to the end of COMMIT (nil: no more calls). It must only hand the
    /// report on (log it): every write waits while it runs.
    public func setSlowCommitObserver(threshold: Duration, _ observer: (@Sendable (SlowCommit) -> Void)?) {
        writer.setSlowCommitObserver(threshold: threshold, observer)
    }

    /// Calls `observer` on the writer thread for every transaction (nil: no more calls): what it
    /// took, or that the storage refused it. It must only hand the report on.
    public func setCommitObserver(_ observer: (@Sendable (CommitReport) -> Void)?) {
        writer.setCommitObserver(observer)
    }

    /// Writes one small row, to learn whether the storage takes writes again (after a full disk).
    public func probeWrite() async throws {
        let now = clock.now()
        try await write { connection in
            try connection.run(
                "INSERT INTO hub_meta (key, value) VALUES ('write_probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [.text("\(now.milliseconds)")])
        }
    }

    /// Runs `body` on the writer connection in the next group-committed transaction.
    func write<T: Sendable>(_ body: @escaping (SQLiteConnection) throws -> T) async throws -> T {
        try await writer.write { context in try body(context.connection) }
    }

    /// Runs `body` with the writer context (rooms need its caches).
    func writeWithContext<T: Sendable>(_ body: @escaping (WriterContext) throws -> T) async throws -> T {
        try await writer.write(body)
    }

    /// Runs `body` with the writer context and calls `completion` on the writer thread once the
    /// transaction is durable (see `GroupCommitWriter.submit`).
    func submitWithContext<T>(_ body: @escaping (WriterContext) throws -> T, completion: @escaping (Result<T, Error>) -> Void) {
        writer.submit(body, completion: completion)
    }

    // MARK: Directory

    /// Adds a unit. Its parent must exist.
    public func addUnit(_ unit: Unit) async throws {
        try Self.checkID(unit.id.rawValue, "unit id")
        try Self.checkName(unit.name)
        try await writer.write { context in
            try context.connection.run(
                "INSERT INTO units (id, name, kind, parent_id) VALUES (?, ?, ?, ?)",
                [.text(unit.id.rawValue), .text(unit.name), .text(unit.kind.rawValue), unit.parent.map { .text($0.rawValue) } ?? .null])
        }
    }

    /// Adds a person acting for an existing unit.
    public func addPerson(_ person: Person) async throws {
        try Self.checkID(person.id.rawValue, "person id")
        try Self.checkName(person.name)
        guard !person.roles.isEmpty else { throw CaseRefusal(.invalidArgument, "a person needs at least one role") }
        try await writer.write { context in
            try context.connection.run(
                "INSERT INTO people (id, name, unit_id, roles) VALUES (?, ?, ?, ?)",
                [.text(person.id.rawValue), .text(person.name), .text(person.unit.rawValue),
                 .text(person.roles.map(\.rawValue).sorted().joined(separator: ","))])
        }
    }

    /// Every unit, by id.
    public func units() async throws -> [Unit] {
        try await reader.read { connection in
            try connection.query("SELECT id, name, kind, parent_id FROM units ORDER BY id").map { row in
                Unit(id: UnitID(row.string(0) ?? ""), name: row.string(1) ?? "", kind: UnitKind(rawValue: row.string(2) ?? "") ?? .other,
                     parent: row.string(3).map { UnitID(rawValue: $0) })
            }
        }
    }

    /// Every person, by id.
    public func people() async throws -> [Person] {
        try await reader.read { connection in
            try connection.query("SELECT id, name, unit_id, roles FROM people ORDER BY id").map(Self.person)
        }
    }

    /// One person.
    public func person(_ id: PersonID) async throws -> Person? {
        try await reader.read { connection in
            try connection.query("SELECT id, name, unit_id, roles FROM people WHERE id = ?", [.text(id.rawValue)]).first.map(Self.person)
        }
    }

    static func person(_ row: SQLiteRow) -> Person {
        Person(id: PersonID(row.string(0) ?? ""), name: row.string(1) ?? "", unit: UnitID(row.string(2) ?? ""),
               roles: Set((row.string(3) ?? "").split(separator: ",").compactMap { Role(rawValue: String($0)) }))
    }

    // MARK: Commands

    /// Registers a new case; returns its first event. With `open`, the case is routed in the same
    /// transaction: assigned to its only unit, or put to negotiation among its units.
    public func register(_ registration: Registration, by actor: Actor, open: Bool = false) async throws -> CaseEvent {
        try await registerReturningState(registration, by: actor, open: open).events[0]
    }

    /// Like ``register(_:by:open:)``, returning every event recorded and the case's state after
    /// them, as the write's own transaction computed it.
    public func registerReturningState(_ registration: Registration, by actor: Actor, open: Bool = false) async throws -> CaseWriteResult {
        let now = clock.now()
        let (result, yearStarted) = try await writer.write { context in
            let connection = context.connection
            try Self.requireUnitsExist(registration.involvedUnits, connection)
            let nextID = (try connection.query("SELECT COALESCE(MAX(id), 0) + 1 FROM cases").first?.int(0)) ?? 1
            let caseID = CaseID(nextID)
            let yearStarted = try RegistrationYears.recordIfFirst(caseID, at: now, zone: context.policy.timeZone, connection)
            var events = [try Self.record(.registered(registration), caseID: caseID, state: nil, by: actor, at: now, context: context)]
            if open, let state = try Self.loadState(caseID, context)?.state {
                let units = state.involvedUnits
                let routing: CaseChange = units.count == 1
                    ? .assigned(Assignment(lead: units[0], rationale: "the only unit involved"))
                    : .negotiationOpened(units: units)
                events += try Self.recordWithFollowUps(routing, caseID: caseID, state: state, by: actor, at: now, context: context)
            }
            return (try Self.result(events, caseID, at: now, context), yearStarted)
        }
        if let yearStarted { numberingBox.update { $0.record(yearStarted.firstCase, in: yearStarted.year) } }
        return result
    }

    /// Proposes `change` to case `id`; returns the stored event, or throws a ``CaseRefusal``. Any
    /// change the hub then makes on its own (a negotiation settled or disputed) follows in the
    /// same transaction.
    public func perform(_ change: CaseChange, on id: CaseID, by actor: Actor) async throws -> CaseEvent {
        try await performReturningState(change, on: id, by: actor).events[0]
    }

    /// Like ``perform(_:on:by:)``, returning the event and the follow-ups it caused.
    public func performReturningFollowUps(_ change: CaseChange, on id: CaseID, by actor: Actor) async throws -> [CaseEvent] {
        try await performReturningState(change, on: id, by: actor).events
    }

    /// Like ``perform(_:on:by:)``, returning the event, its follow-ups and the case's state after
    /// them, as the write's own transaction computed it (nothing is read back afterwards).
    public func performReturningState(_ change: CaseChange, on id: CaseID, by actor: Actor) async throws -> CaseWriteResult {
        let now = clock.now()
        return try await writer.write { context in
            let state = try Self.loadState(id, context)?.state
            guard let state else { throw CaseRefusal(.notFound, "no case \(id)") }
            try Self.requireUnitsExist(Self.units(in: change), context.connection)
            let events = try Self.recordWithFollowUps(change, caseID: id, state: state, by: actor, at: now, context: context)
            return try Self.result(events, id, at: now, context)
        }
    }

    /// The events of a write and the case's state after them (from the writer's cache: the state
    /// the transaction itself computed).
    private static func result(_ events: [CaseEvent], _ id: CaseID, at now: Timestamp, _ context: WriterContext) throws -> CaseWriteResult {
        guard let state = try loadState(id, context)?.state else { throw CaseRefusal(.notFound, "no case \(id)") }
        return CaseWriteResult(events: events, state: state, at: now)
    }

    /// Records what the clock calls for: disputes of negotiations whose deadline passed, overdue
    /// flags of escalated decisions and escalations of supervision items. Returns the events
    /// recorded. Each is recorded once (the state remembers it, and its row says so in
    /// `lapse_recorded_at`), so running the sweep again, or after a restart, repeats nothing and
    /// reads only the cases with a lapse still to record, however many lapsed before.
    @discardableResult
    public func sweep() async throws -> [CaseEvent] {
        let now = clock.now()
        let candidates = try await lapsesToRecord(at: now)
        var recorded: [CaseEvent] = []
        for caseID in candidates {
            recorded += try await writer.write { context in
                guard let state = try Self.loadState(caseID, context)?.state,
                    let change = CaseLifecycle.followUp(state, at: now, in: try Self.followUpContext(state, context))
                else { return [] }
                return try Self.recordWithFollowUps(change, caseID: caseID, state: state, by: .system, at: now, context: context)
            }
        }
        return recorded
    }

    /// The cases with a lapse the sweep has still to record at `now` (a running negotiation or
    /// decision deadline, or an open supervision item, past its time), in case order.
    func lapsesToRecord(at now: Timestamp) async throws -> [CaseID] {
        try await reader.read { connection in
            try connection.query(
                """
                SELECT case_id FROM case_deadlines WHERE kind IN ('negotiation', 'escalation') AND met_at IS NULL AND due_at <= ?
                    AND lapse_recorded_at IS NULL
                UNION
                SELECT case_id FROM case_obligations WHERE key LIKE 'supervision-%' AND met_at IS NULL AND due_at <= ?
                    AND lapse_recorded_at IS NULL
                ORDER BY 1
                """, [.integer(now.milliseconds), .integer(now.milliseconds)]
            ).map { CaseID($0.int(0) ?? 0) }
        }
    }

    /// Records `change` and then each follow-up the hub makes on its own (at most a few).
    static func recordWithFollowUps(
        _ change: CaseChange, caseID: CaseID, state: PetitionCase, by actor: Actor, at now: Timestamp, context: WriterContext
    ) throws -> [CaseEvent] {
        var events = [try record(change, caseID: caseID, state: state, by: actor, at: now, context: context)]
        for _ in 0..<4 {
            guard let current = try loadState(caseID, context)?.state, !current.status.isTerminal else { break }
            guard let next = CaseLifecycle.followUp(current, at: now, in: try followUpContext(current, context)) else { break }
            events.append(try record(next, caseID: caseID, state: current, by: .system, at: now, context: context))
        }
        return events
    }

    /// What a follow-up of `state` needs: only an open negotiation can escalate, so only then is
    /// the unit hierarchy read.
    static func followUpContext(_ state: PetitionCase, _ context: WriterContext) throws -> CaseLifecycle.Context {
        CaseLifecycle.Context(
            policy: context.policy,
            units: UnitDirectory(hierarchy: state.status == .negotiating ? try hierarchy(context.connection) : UnitHierarchy()))
    }

    /// A case's state and last hash, from the writer's cache or the projection.
    static func loadState(_ id: CaseID, _ context: WriterContext) throws -> (state: PetitionCase, lastHash: [UInt8])? {
        if let cached = context.cache[id] { return cached }
        guard let row = try context.connection.query("SELECT state, last_hash FROM cases WHERE id = ?", [.integer(id.rawValue)]).first,
              let text = row.string(0)
        else { return nil }
        return (try context.decoder.decode(PetitionCase.self, from: Data(text.utf8)), row.blob(1) ?? EventChain.genesis)
    }

    /// Decides, appends the chained event and updates the projections (inside the caller's savepoint).
    private static func record(
        _ change: CaseChange, caseID: CaseID, state: PetitionCase?, by actor: Actor, at now: Timestamp, context: WriterContext
    ) throws -> CaseEvent {
        // Only the changes that go one level up, or to the conference office, ask about units.
        let needsUnits = [.reviewer, .conferenceLeadership].contains(CaseAccess.authority(for: change))
        let units = needsUnits ? try unitDirectory(connection: context.connection) : UnitDirectory()
        let decision = try CaseLifecycle.decide(change, on: state, by: actor, at: now, in: CaseLifecycle.Context(policy: context.policy, units: units))
        let event = CaseEvent(
            caseID: caseID, sequence: (state?.lastSequence ?? 0) + 1, actorPerson: actor.person, actorUnit: actor.unit,
            at: now, change: decision.change, startedDeadlines: decision.startedDeadlines, metDeadlines: decision.metDeadlines)
        let connection = context.connection
        let previousHash = state == nil ? EventChain.genesis : (try loadState(caseID, context)?.lastHash ?? EventChain.genesis)
        let body = Array(try context.encoder.encode(event))
        let hash = EventChain.link(previous: previousHash, body: body)
        try connection.run(
            "INSERT INTO case_events (case_id, seq, type, actor_person, actor_unit, at, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [.integer(caseID.rawValue), .integer(event.sequence), .text(event.change.type), .text(actor.person.rawValue),
             .text(actor.unit.rawValue), .integer(now.milliseconds), .text(String(decoding: body, as: UTF8.self)),
             .blob(previousHash), .blob(hash)])
        let next = CaseLifecycle.apply(event, to: state)
        try writeProjection(next, previous: state, lastHash: hash, at: now, context: context)
        for (key, delta) in FiguresRollup.deltas(event: event, before: state, after: next, timeZone: context.policy.timeZone) {
            try connection.run(
                """
                INSERT INTO figures_daily (day, unit_id, answered, handling_ms, answered_on_time, met_late, rated, satisfied,
                                           escalated, objections_raised, objections_upheld)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(unit_id, day) DO UPDATE SET answered = answered + excluded.answered,
                    handling_ms = handling_ms + excluded.handling_ms, answered_on_time = answered_on_time + excluded.answered_on_time,
                    met_late = met_late + excluded.met_late, rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied,
                    escalated = escalated + excluded.escalated, objections_raised = objections_raised + excluded.objections_raised,
                    objections_upheld = objections_upheld + excluded.objections_upheld
                """,
                [.integer(Int64(key.day)), .text(key.unit), .integer(Int64(delta.answered)), .integer(delta.handlingMilliseconds),
                 .integer(Int64(delta.answeredOnTime)), .integer(Int64(delta.metLate)), .integer(Int64(delta.rated)),
                 .integer(Int64(delta.satisfied)), .integer(Int64(delta.escalated)), .integer(Int64(delta.objectionsRaised)),
                 .integer(Int64(delta.objectionsUpheld))])
        }
        if case .registered(let registration) = event.change {
            try connection.run(
                "INSERT INTO case_petitioners (case_id, name, contact) VALUES (?, ?, ?)",
                [.integer(caseID.rawValue), .text(registration.petitioner.name), .text(registration.petitioner.contact)])
        }
        if context.cache.count >= WriterContext.cacheLimit { context.cache.removeAll(keepingCapacity: true) }
        context.cache[caseID] = (next, hash)
        if let encoder = context.rooming.caseEventEncoder {
            _ = try RoomLog.append(room: RoomID.case(caseID), kind: "case", at: now, context: context) { position in
                try encoder(event.redactingPetitioner(), position)
            }
        }
        if event.change.isLobbyNotice, let encoder = context.rooming.lobbyNoticeEncoder {
            _ = try RoomLog.append(room: RoomID.lobby, kind: "notice", at: now, context: context) { position in
                try encoder(event, next, position)
            }
        }
        if next.negotiation != state?.negotiation, let negotiation = next.negotiation {
            try writeParticipation(caseID: caseID, negotiation, connection: connection)
        }
        return event
    }

    // MARK: Reads

    /// The current state of a case.
    public func caseState(_ id: CaseID) async throws -> PetitionCase? {
        try await reader.read { connection in
            guard let text = try connection.query("SELECT state FROM cases WHERE id = ?", [.integer(id.rawValue)]).first?.string(0) else {
                return nil
            }
            return try JSONDecoder().decode(PetitionCase.self, from: Data(text.utf8))
        }
    }

    /// A case's history after `afterSequence`, oldest first, at most `limit` events.
    public func history(of id: CaseID, after afterSequence: Int64 = 0, limit: Int = 1_000) async throws -> [CaseEvent] {
        try await reader.read { connection in
            let decoder = JSONDecoder()
            return try connection.query(
                "SELECT body FROM case_events WHERE case_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                [.integer(id.rawValue), .integer(afterSequence), .integer(Int64(max(0, limit)))]
            ).map { try decoder.decode(CaseEvent.self, from: Data(($0.string(0) ?? "").utf8)) }
        }
    }

    /// The petitioner's name and contact (only for readers entitled to them).
    public func petitioner(of id: CaseID) async throws -> Petitioner? {
        try await reader.read { connection in
            try connection.query("SELECT name, contact FROM case_petitioners WHERE case_id = ?", [.integer(id.rawValue)]).first.map {
                Petitioner(name: $0.string(0) ?? "", contact: $0.string(1) ?? "")
            }
        }
    }

    /// Runs a read-only query on the reader connection.
    public func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await reader.read(body)
    }

    // MARK: Integrity

    /// Checks every case's chain; returns the first violation of each broken case.
    public func verifyChains() async throws -> [EventChain.Violation] {
        try await reader.read { connection in
            var violations: [EventChain.Violation] = []
            let expected = try connection.query("SELECT id, last_seq, last_hash FROM cases ORDER BY id")
            var expectedByCase: [Int64: (Int64, [UInt8])] = [:]
            for row in expected { expectedByCase[row.int(0) ?? 0] = (row.int(1) ?? 0, row.blob(2) ?? []) }
            let statement = try connection.statement("SELECT case_id, seq, body, prev_hash, hash FROM case_events ORDER BY case_id, seq")
            var currentCase: Int64?
            var rows: [EventChain.StoredRow] = []
            func flush() {
                guard let caseID = currentCase else { return }
                let last = expectedByCase.removeValue(forKey: caseID)
                if let violation = EventChain.verify(caseID: CaseID(caseID), rows: rows, expectedLast: last.map { (sequence: $0.0, hash: $0.1) }) {
                    violations.append(violation)
                }
            }
            while let row = try statement.step() {
                let caseID = row.int(0) ?? 0
                if caseID != currentCase {
                    flush()
                    currentCase = caseID
                    rows = []
                }
                rows.append(EventChain.StoredRow(
                    sequence: row.int(1) ?? 0, body: Array((row.string(2) ?? "").utf8), previousHash: row.blob(3) ?? [], hash: row.blob(4) ?? []))
            }
            statement.reset()
            flush()
            for (caseID, _) in expectedByCase.sorted(by: { $0.key < $1.key }) {
                violations.append(EventChain.Violation(caseID: CaseID(caseID), sequence: 1, problem: .missing))
            }
            return violations
        }
    }

    /// Cases whose stored projection differs from a rebuild from their events alone.
    public func projectionMismatches() async throws -> [CaseID] {
        try await reader.read { connection in
            let decoder = JSONDecoder()
            var mismatches: [CaseID] = []
            for row in try connection.query("SELECT id, state FROM cases ORDER BY id") {
                let id = CaseID(row.int(0) ?? 0)
                let stored = try? decoder.decode(PetitionCase.self, from: Data((row.string(1) ?? "").utf8))
                let events = try connection.query("SELECT body FROM case_events WHERE case_id = ? ORDER BY seq", [.integer(id.rawValue)])
                    .map { try decoder.decode(CaseEvent.self, from: Data(($0.string(0) ?? "").utf8)) }
                if CaseLifecycle.replay(events) != stored { mismatches.append(id) }
            }
            return mismatches
        }
    }

    /// Copies the database to `destination` with SQLite's online backup API.
    public func backup(to destination: String) async throws {
        try await reader.read { connection in try connection.backup(to: destination) }
    }

    // MARK: Input checks

    static func checkID(_ text: String, _ field: String) throws {
        guard IdentifierRules.isValid(text) else {
            throw CaseRefusal(.invalidArgument, "\(field) must be 1-\(IdentifierRules.maxLength) letters, digits, '-', '_' or '.'")
        }
    }

    static func checkName(_ text: String) throws {
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty, text.count <= CaseInputLimits.nameLength else {
            throw CaseRefusal(.invalidArgument, "a name is 1-\(CaseInputLimits.nameLength) characters")
        }
    }
}

/// Read-only connections, each used from its own serial queue. A read goes to the one with the
/// fewest reads in flight, so that the long reads a page asks for together (the dashboard's
/// supervision list, figures and warnings) run side by side on the machine's cores instead of one
/// after another.
final class ReaderPool: @unchecked Sendable {
    private let queues: [DispatchQueue]
    private let connections: [SQLiteConnection]
    private let lock = NSLock()
    private var inFlight: [Int]

    /// As many readers as cores, at least 2 and at most 4.
    static var defaultCount: Int { min(4, max(2, ProcessInfo.processInfo.activeProcessorCount)) }

    init(path: String, count: Int = ReaderPool.defaultCount) throws {
        connections = try (0..<count).map { _ in try SQLiteConnection(path: path, readOnly: true) }
        queues = (0..<count).map { DispatchQueue(label: "conferencehub.reader.\($0)") }
        inFlight = Array(repeating: 0, count: count)
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        let index = lock.withLock {
            let least = inFlight.indices.min { inFlight[$0] < inFlight[$1] } ?? 0
            inFlight[least] += 1
            return least
        }
        return try await withCheckedThrowingContinuation { continuation in
            queues[index].async {
                let result = Result { try body(self.connections[index]) }
                self.lock.withLock { self.inFlight[index] -= 1 }
                continuation.resume(with: result)
            }
        }
    }
}
