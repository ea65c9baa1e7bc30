// Meeting: a virtual joint meeting (会商 / 联席会议) — convening, attendance, agenda items with
// versioned proposals, each unit's position, outcomes, minutes (纪要) and their sign-off. Pure
// state and rules; MeetingStore keeps the events and applies adopted outcomes to the cases.
import Foundation

/// A meeting's number; shown and addressed as `meeting-N` (its room is `meeting-N` too).
public struct MeetingID: RawRepresentable, Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public var description: String { "meeting-\(rawValue)" }
    public static func < (lhs: MeetingID, rhs: MeetingID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Parses `meeting-3` (or `3`).
    public init?(_ text: String) {
        let digits = text.hasPrefix("meeting-") ? text.dropFirst(8) : Substring(text)
        guard let value = Int64(digits), value > 0 else { return nil }
        rawValue = value
    }

    public init(from decoder: Decoder) throws { rawValue = try decoder.singleValueContainer().decode(Int64.self) }
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

public enum MeetingStatus: String, Codable, Sendable, CaseIterable {
    case scheduled
    case inSession = "in_session"
    case adjourned
    case minutesCirculated = "minutes_circulated"
    case sealed
    case cancelled
}

/// An invited unit and its answer to the invitation.
public struct Invitation: Codable, Sendable, Equatable {
    public enum Response: String, Codable, Sendable, CaseIterable {
        case accepted, declined, apologies
    }
    public var unit: UnitID
    /// Required units make the quorum and state positions; optional units attend.
    public var required: Bool
    public var response: Response?
    public var respondedAt: Timestamp?

    public init(unit: UnitID, required: Bool) {
        self.unit = unit
        self.required = required
    }
}

/// What an adopted proposal does to its case.
public struct ProposalEffects: Codable, Sendable, Equatable {
    public var lead: UnitID?
    public var coHandling: [UnitID]?
    public var responsibleLeader: PersonID?
    public var responsiblePerson: PersonID?
    public var measures: [String]?
    public var resolutionDeadline: LocalDate?
    /// Put the case under listed supervision, with this reason.
    public var listedSupervision: String?

    public init(lead: UnitID? = nil, coHandling: [UnitID]? = nil, responsibleLeader: PersonID? = nil, responsiblePerson: PersonID? = nil,
                measures: [String]? = nil, resolutionDeadline: LocalDate? = nil, listedSupervision: String? = nil) {
        self.lead = lead
        self.coHandling = coHandling
        self.responsibleLeader = responsibleLeader
        self.responsiblePerson = responsiblePerson
        self.measures = measures
        self.resolutionDeadline = resolutionDeadline
        self.listedSupervision = listedSupervision
    }

    public var isEmpty: Bool { self == ProposalEffects() }
}

public enum PositionKind: String, Codable, Sendable, CaseIterable {
    case agree, abstain, object
}

/// A unit's position on a proposal version.
public struct UnitPosition: Codable, Sendable, Equatable {
    public var unit: UnitID
    public var person: PersonID
    public var position: PositionKind
    public var reason: String?
    public var at: Timestamp
    /// How many positions the unit stated on this version (1 = never changed).
    public var statements: Int
}

/// A tabled proposal version.
public struct Proposal: Codable, Sendable, Equatable {
    public var version: Int
    public var text: String
    public var effects: ProposalEffects
    public var tabledAt: Timestamp
    /// The latest position of each unit on this version.
    public var positions: [UnitPosition] = []
}

public enum OutcomeKind: String, Codable, Sendable, CaseIterable {
    case adoptedByConsensus = "adopted_by_consensus"
    case notAdopted = "not_adopted"
    case decidedByChair = "decided_by_chair"
    case withdrawn
}

/// How a proposal ended, with the tally and who was entitled and present at that moment.
public struct Outcome: Codable, Sendable, Equatable {
    public var kind: OutcomeKind
    public var version: Int
    public var agree: [UnitID]
    public var abstain: [UnitID]
    public var object: [UnitID]
    /// Required units (entitled to a position).
    public var entitled: [UnitID]
    /// Units present when the proposal closed.
    public var present: [UnitID]
    public var quorum: Bool
    /// Objections kept in the record (dissent).
    public var dissent: [UnitPosition]
    public var at: Timestamp
    public var by: PersonID
}

/// One agenda item: a case, a description, its proposals and (once closed) its outcome.
public struct AgendaItem: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable, CaseIterable { case pending, open, closed }
    public let number: Int
    public var caseID: CaseID
    public var description: String
    public var state: State = .pending
    /// Every version tabled, oldest first; the last is current.
    public var proposals: [Proposal] = []
    /// Every outcome (a later one, on a new version, corrects nothing: it is a new outcome).
    public var outcomes: [Outcome] = []
    /// Whether the current proposal is open for positions.
    public var proposalOpen = false

    public var current: Proposal? { proposals.last }

    enum CodingKeys: String, CodingKey {
        case number, caseID = "caseId", description, state, proposals, outcomes, proposalOpen
    }
}

/// A stretch of time a person was present in the meeting room.
public struct AttendanceSpan: Codable, Sendable, Equatable {
    public var person: PersonID
    public var unit: UnitID
    public var joinedAt: Timestamp
    public var leftAt: Timestamp?
    /// True for the conference office staffing the meeting: shown as staff, never as a unit
    /// present (quorum, tallies and sign-offs count units). Nil for a unit's member.
    public var staff: Bool? = nil

    /// A unit's member (not staff).
    public var isMember: Bool { staff != true }
}

/// A unit's sign-off of the minutes.
public struct MinutesSignOff: Codable, Sendable, Equatable {
    public var unit: UnitID
    public var person: PersonID
    public var approve: Bool
    public var reason: String?
    public var at: Timestamp
}

/// The minutes: drafted on adjournment, signed off by every participating unit, then sealed.
public struct Minutes: Codable, Sendable, Equatable {
    public var draftedAt: Timestamp
    /// Units that took part (present at some time); each must sign off.
    public var participants: [UnitID]
    /// When unsigned minutes are sealed anyway (non-signers named).
    public var signOffDueAt: Timestamp
    public var signOffs: [MinutesSignOff] = []
    public var sealedAt: Timestamp?
    public var nonSigners: [UnitID] = []
    /// The Markdown layout whose bytes the seal hashed (`minutes_sha256`): set when sealed; nil
    /// for minutes sealed before layout 2 (0.3.0), which are still written in layout 1.
    public var layout: Int? = nil

    public var pending: [UnitID] { participants.filter { unit in !signOffs.contains { $0.unit == unit } } }
}

/// A meeting's whole state.
public struct Meeting: Codable, Sendable, Equatable, Identifiable {
    public let id: MeetingID
    public var title: String
    public var scheduledAt: Timestamp
    public var convener: PersonID
    public var chair: PersonID
    /// Whether the chair is a leader (only a leader may decide over an objection).
    public var chairIsLeader: Bool
    public var invitations: [Invitation]
    /// Units that must be present for a quorum: nil = every required unit; else at least this many required units.
    public var quorumMinimum: Int?
    public var agenda: [AgendaItem]
    public var status: MeetingStatus = .scheduled
    public var openedAt: Timestamp?
    public var adjournedAt: Timestamp?
    public var cancelledReason: String?
    public var attendance: [AttendanceSpan] = []
    public var minutes: Minutes?
    public var lastSequence: Int64 = 0

    public var requiredUnits: [UnitID] { invitations.filter(\.required).map(\.unit).sorted() }
    public func invitation(_ unit: UnitID) -> Invitation? { invitations.first { $0.unit == unit } }

    /// Units with someone in the meeting room now.
    public var presentUnits: [UnitID] {
        Array(Set(attendance.filter { $0.leftAt == nil && $0.isMember }.map(\.unit))).sorted()
    }

    /// Units that were present at some time.
    public var participatingUnits: [UnitID] { Array(Set(attendance.filter(\.isMember).map(\.unit))).sorted() }

    /// The conference office's staff who attended, in order of arrival.
    public var staff: [PersonID] {
        var seen: [PersonID] = []
        for span in attendance where !span.isMember && !seen.contains(span.person) { seen.append(span.person) }
        return seen
    }

    /// Whether the quorum rule holds with the units present now.
    public var hasQuorum: Bool {
        let present = Set(presentUnits)
        let requiredPresent = requiredUnits.filter { present.contains($0) }.count
        if let minimum = quorumMinimum { return requiredPresent >= minimum }
        return requiredPresent == requiredUnits.count
    }
}

/// A meeting's outcome as applied to a case.
public struct MeetingDecision: Codable, Sendable, Equatable {
    public var meeting: MeetingID
    public var item: Int
    public var version: Int
    public var outcome: OutcomeKind
    public var text: String
    public var effects: ProposalEffects

    public init(meeting: MeetingID, item: Int, version: Int, outcome: OutcomeKind, text: String, effects: ProposalEffects) {
        self.meeting = meeting
        self.item = item
        self.version = version
        self.outcome = outcome
        self.text = text
        self.effects = effects
    }
}
