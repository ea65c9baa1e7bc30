// MeetingStore: meetings in the durable store — their events and state, outcomes applied to
// cases in the same transaction, and the decision log (a Merkle tree of every outcome, sign-off
// and seal, with Ed25519-signed checkpoints).
import Foundation

/// One entry of the decision log.
public struct DecisionEntry: Sendable, Equatable {
    public let index: Int
    public let kind: String
    /// The meeting it records; nil for an entry about the log itself (`restore`).
    public let meeting: MeetingID?
    /// The entry's canonical bytes (sorted-key JSON).
    public let body: [UInt8]
    public let leafHash: [UInt8]
}

/// Where the decision log is not what was written.
public struct DecisionLogProblem: Sendable, Equatable, CustomStringConvertible {
    public let index: Int?
    public let problem: String
    public var description: String { index.map { "decision log entry \($0): \(problem)" } ?? "decision log: \(problem)" }
}

/// Signs the decision log's checkpoints: the key and the log's name.
public struct DecisionLogIdentity: Sendable {
    public let signer: CheckpointSigner
    public let origin: String

    public init(signer: CheckpointSigner, origin: String) {
        self.signer = signer
        self.origin = origin
    }
}

extension CaseStore.WriterContext {
    /// The decision log's leaf hashes, loaded once per writer (cleared on rollback).
    func decisionLeaves() throws -> [[UInt8]] {
        if let leaves = decisionLeafCache { return leaves }
        let leaves = try connection.query("SELECT leaf_hash FROM decision_log ORDER BY idx").map { $0.blob(0) ?? [] }
        decisionLeafCache = leaves
        return leaves
    }
}

extension CaseStore {
    // MARK: Commands

    /// Convenes a meeting; returns its first event.
    public func convene(_ convening: Convening, by actor: Actor) async throws -> MeetingEvent {
        try await conveneReturningState(convening, by: actor).events[0]
    }

    /// Like ``convene(_:by:)``, returning the events and the meeting as the write's own
    /// transaction left it.
    public func conveneReturningState(_ convening: Convening, by actor: Actor) async throws -> MeetingWriteResult {
        let now = clock.now()
        return try await writeWithContext { context in
            let connection = context.connection
            var recorded = convening
            for entry in convening.agenda {
                guard try connection.query("SELECT 1 FROM cases WHERE id = ?", [.integer(entry.caseID.rawValue)]).first != nil else {
                    throw CaseRefusal(.invalidArgument, "agenda: no case \(entry.caseID)")
                }
            }
            for unit in convening.invited.map(\.unit) {
                guard IdentifierRules.isValid(unit.rawValue), try connection.query("SELECT 1 FROM units WHERE id = ?", [.text(unit.rawValue)]).first != nil else {
                    throw CaseRefusal(.invalidArgument, "no unit `\(unit.rawValue.prefix(64))`")
                }
            }
            let chair = convening.chair ?? actor.person
            guard let row = try connection.query("SELECT roles FROM people WHERE id = ?", [.text(chair.rawValue)]).first else {
                throw CaseRefusal(.invalidArgument, "no person `\(chair.rawValue.prefix(64))` to chair the meeting")
            }
            recorded.chair = chair
            recorded.chairIsLeader = (row.string(0) ?? "").split(separator: ",").contains("leader")
            let nextID = (try connection.query("SELECT COALESCE(MAX(id), 0) + 1 FROM meetings").first?.int(0)) ?? 1
            let events = try Self.recordMeeting(.convened(recorded), id: MeetingID(nextID), meeting: nil, by: actor, at: now, context: context)
            return try Self.meetingResult(events, MeetingID(nextID), context)
        }
    }

    /// Proposes `change` to meeting `id`; returns the stored event and the hub's follow-ups.
    @discardableResult
    public func performMeeting(_ change: MeetingChange, on id: MeetingID, by actor: Actor) async throws -> [MeetingEvent] {
        try await performMeetingReturningState(change, on: id, by: actor).events
    }

    /// Like ``performMeeting(_:on:by:)``, returning the meeting as the write's own transaction
    /// left it.
    public func performMeetingReturningState(_ change: MeetingChange, on id: MeetingID, by actor: Actor) async throws -> MeetingWriteResult {
        let now = clock.now()
        return try await writeWithContext { context in
            guard let meeting = try Self.loadMeeting(id, context) else { throw CaseRefusal(.notFound, "no meeting \(id)") }
            let events = try Self.recordMeeting(change, id: id, meeting: meeting, by: actor, at: now, context: context)
            return try Self.meetingResult(events, id, context)
        }
    }

    private static func meetingResult(_ events: [MeetingEvent], _ id: MeetingID, _ context: WriterContext) throws -> MeetingWriteResult {
        guard let meeting = try loadMeeting(id, context) else { throw CaseRefusal(.notFound, "no meeting \(id)") }
        return MeetingWriteResult(events: events, meeting: meeting)
    }

    /// Seals minutes whose sign-off deadline passed. Each is sealed once.
    @discardableResult
    public func sweepMeetings() async throws -> [MeetingEvent] {
        let now = clock.now()
        let candidates = try await read { connection in
            try connection.query("SELECT id FROM meetings WHERE status = 'minutes_circulated' ORDER BY id").map { MeetingID($0.int(0) ?? 0) }
        }
        var recorded: [MeetingEvent] = []
        for id in candidates {
            recorded += try await writeWithContext { context in
                guard let meeting = try Self.loadMeeting(id, context), let change = MeetingLifecycle.followUp(meeting, at: now, in: context.policy) else { return [] }
                return try Self.recordMeeting(change, id: id, meeting: meeting, by: .system, at: now, context: context)
            }
        }
        return recorded
    }

    static func loadMeeting(_ id: MeetingID, _ context: WriterContext) throws -> Meeting? {
        guard let text = try context.connection.query("SELECT state FROM meetings WHERE id = ?", [.integer(id.rawValue)]).first?.string(0) else { return nil }
        return try context.decoder.decode(Meeting.self, from: Data(text.utf8))
    }

    /// Decides and records `change`, applies an adopted outcome to its case, appends to the
    /// decision log, then records the hub's follow-ups — all in the caller's transaction.
    private static func recordMeeting(
        _ change: MeetingChange, id: MeetingID, meeting: Meeting?, by actor: Actor, at now: Timestamp, context: WriterContext
    ) throws -> [MeetingEvent] {
        var events: [MeetingEvent] = []
        var current = meeting
        var next: MeetingChange? = change
        var actor = actor
        while let proposed = next, events.count < 4 {
            let decided = try MeetingLifecycle.decide(proposed, on: current, by: actor, at: now, in: context.policy)
            let event = MeetingEvent(
                meetingID: id, sequence: (current?.lastSequence ?? 0) + 1, actorPerson: actor.person, actorUnit: actor.unit, at: now, change: decided)
            let body = try context.encoder.encode(event)
            try context.connection.run(
                "INSERT INTO meeting_events (meeting_id, seq, type, actor_person, at, body) VALUES (?, ?, ?, ?, ?, ?)",
                [.integer(id.rawValue), .integer(event.sequence), .text(decided.type), .text(actor.person.rawValue), .integer(now.milliseconds),
                 .text(String(decoding: body, as: UTF8.self))])
            let state = MeetingLifecycle.apply(event, to: current)
            try context.connection.run(
                """
                INSERT INTO meetings (id, status, scheduled_at, state) VALUES (?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET status = excluded.status, state = excluded.state
                """,
                [.integer(id.rawValue), .text(state.status.rawValue), .integer(state.scheduledAt.milliseconds),
                 .text(String(decoding: try context.encoder.encode(state), as: UTF8.self))])
            try afterMeetingEvent(event, state, context: context)
            if let encoder = context.rooming.meetingEventEncoder {
                _ = try RoomLog.append(room: RoomID.meeting(id), kind: "meeting", at: now, context: context) { try encoder(event, state, $0) }
                if event.change.isLobbyNotice {
                    _ = try RoomLog.append(room: RoomID.lobby, kind: "notice", at: now, context: context) { try encoder(event, state, $0) }
                }
            }
            events.append(event)
            current = state
            next = MeetingLifecycle.followUp(state, at: now, in: context.policy)
            actor = .system
        }
        return events
    }

    /// Outcomes change their case; outcomes, sign-offs and seals enter the decision log.
    private static func afterMeetingEvent(_ event: MeetingEvent, _ meeting: Meeting, context: WriterContext) throws {
        switch event.change {
        case .proposalClosed(let number, _, let outcome?):
            guard let item = meeting.agenda.first(where: { $0.number == number }), let proposal = item.proposals.last(where: { $0.version == outcome.version })
            else { return }
            if outcome.kind == .adoptedByConsensus || outcome.kind == .decidedByChair, !proposal.effects.isEmpty {
                guard let state = try loadState(item.caseID, context)?.state else { throw CaseRefusal(.notFound, "no case \(item.caseID)") }
                let decision = MeetingDecision(
                    meeting: meeting.id, item: number, version: outcome.version, outcome: outcome.kind, text: proposal.text, effects: proposal.effects)
                try requireUnitsExist((proposal.effects.lead.map { [$0] } ?? []) + (proposal.effects.coHandling ?? []), context.connection)
                _ = try recordWithFollowUps(.meetingDecision(decision), caseID: item.caseID, state: state, by: .system, at: event.at, context: context)
            }
            try appendDecision(OutcomeEntry(
                meeting: meeting.id.description, item: number, case: item.caseID.description, proposal: proposal.text,
                effects: proposal.effects, outcome: outcome), at: event.at, context: context)
        case .minutesSignedOff(let approve, let reason):
            try appendDecision(SignOffEntry(
                meeting: meeting.id.description, unit: event.actorUnit.rawValue, person: event.actorPerson.rawValue,
                approve: approve, at: event.at.milliseconds, reason: reason), at: event.at, context: context)
        case .sealed(let nonSigners):
            try appendDecision(SealEntry(
                meeting: meeting.id.description, at: event.at.milliseconds, nonSigners: nonSigners.map(\.rawValue),
                minutesSha256: Data(EventChain.sha256(Array(MinutesDocument.markdown(meeting).utf8))).base64EncodedString()),
                at: event.at, context: context)
        case .proposalClosed(_, _, nil), .convened, .invitationAnswered, .cancelled, .sessionOpened, .attendance, .itemOpened,
            .proposalTabled, .positionStated, .itemClosed, .adjourned, .minutesCirculated:
            break  // nothing decided: not in the decision log
        }
    }

    /// Appends one entry and signs a checkpoint for the new size.
    static func appendDecision(_ entry: some DecisionRecordEntry, at: Timestamp, context: WriterContext) throws {
        let body = try entry.body()
        let kind = entry.kind, meeting = entry.meetingID
        var leaves = try context.decisionLeaves()
        let leaf = MerkleTree.leafHash(body)
        try context.connection.run(
            "INSERT INTO decision_log (idx, kind, meeting_id, body, leaf_hash) VALUES (?, ?, ?, ?, ?)",
            [.integer(Int64(leaves.count)), .text(kind), .integer(meeting?.rawValue ?? 0), .text(String(decoding: body, as: UTF8.self)), .blob(leaf)])
        leaves.append(leaf)
        context.decisionLeafCache = leaves
        guard let identity = context.rooming.decisionLogIdentity else { return }
        let root = MerkleTree.root(leaves)
        let signature = try identity.signer.sign(Array(Checkpoint.note(origin: identity.origin, size: leaves.count, root: root).utf8))
        try context.connection.run(
            "INSERT INTO decision_checkpoints (size, origin, root, signature, at) VALUES (?, ?, ?, ?, ?)",
            [.integer(Int64(leaves.count)), .text(identity.origin), .blob(root), .blob(signature), .integer(at.milliseconds)])
    }

    // MARK: Reads

    /// A meeting's state.
    public func meeting(_ id: MeetingID) async throws -> Meeting? {
        try await read { connection in
            guard let text = try connection.query("SELECT state FROM meetings WHERE id = ?", [.integer(id.rawValue)]).first?.string(0) else { return nil }
            return try JSONDecoder().decode(Meeting.self, from: Data(text.utf8))
        }
    }

    /// Meetings by id, after `afterID`.
    public func meetings(after afterID: MeetingID? = nil, limit: Int = 100) async throws -> [Meeting] {
        try await read { connection in
            let decoder = JSONDecoder()
            return try connection.query("SELECT state FROM meetings WHERE id > ? ORDER BY id LIMIT ?",
                                        [.integer(afterID?.rawValue ?? 0), .integer(Int64(min(max(limit, 1), maxCaseRead)))])
                .map { try decoder.decode(Meeting.self, from: Data(($0.string(0) ?? "").utf8)) }
        }
    }

    /// A meeting's history.
    public func meetingHistory(_ id: MeetingID) async throws -> [MeetingEvent] {
        try await read { connection in
            let decoder = JSONDecoder()
            return try connection.query("SELECT body FROM meeting_events WHERE meeting_id = ? ORDER BY seq", [.integer(id.rawValue)])
                .map { try decoder.decode(MeetingEvent.self, from: Data(($0.string(0) ?? "").utf8)) }
        }
    }

    /// The decision log's entries from `index` (at most `limit`).
    public func decisionEntries(from index: Int = 0, limit: Int = 1_000) async throws -> [DecisionEntry] {
        try await read { connection in
            try connection.query("SELECT idx, kind, meeting_id, body, leaf_hash FROM decision_log WHERE idx >= ? ORDER BY idx LIMIT ?",
                                 [.integer(Int64(index)), .integer(Int64(limit))]).map(Self.decisionEntry)
        }
    }

    static func decisionEntry(_ row: SQLiteRow) -> DecisionEntry {
        DecisionEntry(index: Int(row.int(0) ?? 0), kind: row.string(1) ?? "", meeting: row.int(2).flatMap { $0 > 0 ? MeetingID($0) : nil },
                      body: Array((row.string(3) ?? "").utf8), leafHash: row.blob(4) ?? [])
    }

    /// The latest signed checkpoint (or the one for `size`).
    public func checkpoint(size: Int? = nil) async throws -> Checkpoint? {
        try await read { connection in
            let rows = size.map { try? connection.query("SELECT size, origin, root, signature, at FROM decision_checkpoints WHERE size = ?", [.integer(Int64($0))]) }
                ?? (try? connection.query("SELECT size, origin, root, signature, at FROM decision_checkpoints ORDER BY size DESC LIMIT 1"))
            return rows?.first.map {
                Checkpoint(origin: $0.string(1) ?? "", size: Int($0.int(0) ?? 0), root: $0.blob(2) ?? [], signature: $0.blob(3) ?? [],
                           at: Timestamp(milliseconds: $0.int(4) ?? 0))
            }
        }
    }

    private func leafHashes(upTo size: Int) async throws -> [[UInt8]] {
        try await read { connection in
            try connection.query("SELECT leaf_hash FROM decision_log WHERE idx < ? ORDER BY idx", [.integer(Int64(size))]).map { $0.blob(0) ?? [] }
        }
    }

    /// The inclusion proof of entry `index` in the tree of `size` entries.
    public func inclusionProof(index: Int, size: Int) async throws -> (entry: DecisionEntry, path: [[UInt8]]) {
        let leaves = try await leafHashes(upTo: size)
        guard size > 0, leaves.count == size, index >= 0, index < size else {
            throw CaseRefusal(.invalidArgument, "entry \(index) is not in a tree of \(size) (the log has \(leaves.count) entries)")
        }
        guard let entry = try await decisionEntries(from: index, limit: 1).first else { throw CaseRefusal(.notFound, "no entry \(index)") }
        return (entry, MerkleTree.inclusionProof(index: index, leaves: leaves[...]))
    }

    /// The consistency proof between the trees of `first` and `second` entries.
    public func consistencyProof(first: Int, second: Int) async throws -> [[UInt8]] {
        let leaves = try await leafHashes(upTo: second)
        guard first > 0, first <= second, leaves.count == second else {
            throw CaseRefusal(.invalidArgument, "give 0 < first ≤ second ≤ \(leaves.count)")
        }
        return MerkleTree.consistencyProof(first: first, leaves: leaves[...])
    }

    /// Checks the decision log: each entry's hash, the sequence of indices, and every checkpoint's
    /// root (recomputed from the entries) and signature under `publicKey`.
    public func verifyDecisionLog(publicKey: [UInt8]) async throws -> [DecisionLogProblem] {
        let (entries, checkpoints) = try await read { connection in
            (try connection.query("SELECT idx, kind, meeting_id, body, leaf_hash FROM decision_log ORDER BY idx").map(Self.decisionEntry),
             try connection.query("SELECT size, origin, root, signature, at FROM decision_checkpoints ORDER BY size").map {
                Checkpoint(origin: $0.string(1) ?? "", size: Int($0.int(0) ?? 0), root: $0.blob(2) ?? [], signature: $0.blob(3) ?? [],
                           at: Timestamp(milliseconds: $0.int(4) ?? 0))
             })
        }
        var problems: [DecisionLogProblem] = []
        var leaves: [[UInt8]] = []
        for (position, entry) in entries.enumerated() {
            if entry.index != position { problems.append(DecisionLogProblem(index: position, problem: "missing (next stored entry is \(entry.index))")) }
            let recomputed = MerkleTree.leafHash(entry.body)
            if recomputed != entry.leafHash { problems.append(DecisionLogProblem(index: entry.index, problem: "edited (its hash does not match its bytes)")) }
            leaves.append(recomputed)
        }
        for checkpoint in checkpoints {
            if !CheckpointSigner.verify(signature: checkpoint.signature, message: Array(checkpoint.note.utf8), publicKey: publicKey) {
                problems.append(DecisionLogProblem(index: nil, problem: "checkpoint of size \(checkpoint.size) has a bad signature"))
            }
            guard checkpoint.size <= leaves.count else {
                problems.append(DecisionLogProblem(index: nil, problem: "checkpoint of size \(checkpoint.size) is beyond the \(leaves.count) entries: entries were removed"))
                continue
            }
            if MerkleTree.root(leaves.prefix(checkpoint.size)) != checkpoint.root {
                problems.append(DecisionLogProblem(index: nil, problem: "the first \(checkpoint.size) entries no longer match their signed checkpoint"))
            }
        }
        return problems
    }
}
