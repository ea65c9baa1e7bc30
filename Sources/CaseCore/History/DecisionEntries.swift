// DecisionEntries: what the decision log records, as typed values encoded once. An entry's bytes
// are what its leaf hashes: a JSON object with sorted keys, snake_case throughout, no escaped
// slashes — the bytes 0.5.0 wrote from dictionaries, so that old and new entries read alike
// (stored entries are never re-encoded: their bytes are kept as written).
import Foundation

/// One entry of the decision log.
protocol DecisionRecordEntry: Encodable {
    /// The `kind` column and field: `outcome`, `signoff`, `seal`, `restore`.
    var kind: String { get }
    /// The meeting it belongs to (the `meeting_id` column), if any.
    var meetingID: MeetingID? { get }
}

extension DecisionRecordEntry {
    /// The entry's bytes, as its leaf hashes them.
    func body() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }
}

/// A closed proposal's outcome, with what it does to its case.
struct OutcomeEntry: DecisionRecordEntry {
    let kind = "outcome"
    let meeting: String
    let item: Int
    let `case`: String
    let proposal: String
    let effects: ProposalEffects
    let outcome: Outcome
    var meetingID: MeetingID? { MeetingID(meeting) }

    enum CodingKeys: String, CodingKey { case kind, meeting, item, `case`, proposal, effects, outcome }
}

/// A unit's sign-off of the minutes (or its objection, with the reason).
struct SignOffEntry: DecisionRecordEntry {
    let kind = "signoff"
    let meeting: String
    let unit: String
    let person: String
    let approve: Bool
    let at: Int64
    let reason: String?
    var meetingID: MeetingID? { MeetingID(meeting) }

    enum CodingKeys: String, CodingKey { case kind, meeting, unit, person, approve, at, reason }
}

/// The sealed minutes: who did not sign, and the hash of the minutes' Markdown.
struct SealEntry: DecisionRecordEntry {
    let kind = "seal"
    let meeting: String
    let at: Int64
    let nonSigners: [String]
    let minutesSha256: String
    var meetingID: MeetingID? { MeetingID(meeting) }

    enum CodingKeys: String, CodingKey { case kind, meeting, at, nonSigners = "non_signers", minutesSha256 = "minutes_sha256" }
}

/// A restore from a backup: every room got a new epoch.
struct RestoreEntry: DecisionRecordEntry {
    let kind = "restore"
    let at: Int64
    let roomsGivenNewEpochs: Int
    let decisionLogSizeRestored: Int
    var meetingID: MeetingID? { nil }

    enum CodingKeys: String, CodingKey {
        case kind, at, roomsGivenNewEpochs = "rooms_given_new_epochs", decisionLogSizeRestored = "decision_log_size_restored"
    }
}
