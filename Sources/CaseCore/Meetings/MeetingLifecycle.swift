// MeetingLifecycle: what can happen to a meeting, who may do it and when, as pure functions
// (decide, apply, follow-ups), in the same shape as CaseLifecycle.
import Foundation

/// A new meeting as the convener gives it.
public struct Convening: Codable, Sendable, Equatable {
    public struct AgendaEntry: Codable, Sendable, Equatable {
        public var caseID: CaseID
        public var description: String
        enum CodingKeys: String, CodingKey { case caseID = "case", description }
        public init(caseID: CaseID, description: String) {
            self.caseID = caseID
            self.description = description
        }

        /// `case` may be `12` or `"case-12"`.
        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let number = try? container.decode(Int64.self, forKey: .caseID), number > 0 {
                caseID = CaseID(number)
            } else if let text = try? container.decode(String.self, forKey: .caseID), text.count <= 32, let parsed = CaseID(text) {
                caseID = parsed
            } else {
                throw DecodingError.dataCorruptedError(forKey: .caseID, in: container, debugDescription: "a case id such as \"case-12\"")
            }
            description = try container.decode(String.self, forKey: .description)
        }
    }
    public struct Invitee: Codable, Sendable, Equatable {
        public var unit: UnitID
        public var required: Bool
        public init(unit: UnitID, required: Bool) {
            self.unit = unit
            self.required = required
        }
    }
    public var title: String
    public var scheduledAt: Timestamp
    /// The chair: the convener unless another person (a leader) is named.
    public var chair: PersonID?
    /// Recorded by the hub: whether the chair is a leader.
    public var chairIsLeader: Bool?
    public var invited: [Invitee]
    /// nil: every required unit must be present.
    public var quorumMinimum: Int?
    public var agenda: [AgendaEntry]

    public init(title: String, scheduledAt: Timestamp, chair: PersonID? = nil, invited: [Invitee], quorumMinimum: Int? = nil, agenda: [AgendaEntry]) {
        self.title = title
        self.scheduledAt = scheduledAt
        self.chair = chair
        self.invited = invited
        self.quorumMinimum = quorumMinimum
        self.agenda = agenda
    }
}

/// How the chair closes a proposal.
public enum ProposalClosing: String, Codable, Sendable, CaseIterable {
    /// The hub computes adopted by consensus or not adopted.
    case close
    /// The chair (a leader) decides after a recorded objection.
    case decide
    case withdraw
}

/// Everything that can happen to a meeting.
public enum MeetingChange: Sendable, Equatable {
    case convened(Convening)
    case invitationAnswered(unit: UnitID, response: Invitation.Response)
    case cancelled(reason: String)
    case sessionOpened
    /// The hub records presence in the meeting room.
    /// `staff`: the conference office staffing the meeting (a coordinator whose unit is not
    /// invited), shown as staff rather than as a unit present.
    case attendance(person: PersonID, unit: UnitID, joined: Bool, staff: Bool = false)
    case itemOpened(item: Int)
    case proposalTabled(item: Int, text: String, effects: ProposalEffects)
    case positionStated(item: Int, version: Int, position: PositionKind, reason: String?)
    /// `closing` as asked; `outcome` as the hub computed it (filled in by decide).
    case proposalClosed(item: Int, closing: ProposalClosing, outcome: Outcome?)
    case itemClosed(item: Int)
    case adjourned
    /// The hub drafts and circulates the minutes.
    case minutesCirculated(Minutes)
    case minutesSignedOff(approve: Bool, reason: String?)
    /// The hub seals the minutes (every unit signed off, or the sign-off deadline passed).
    case sealed(nonSigners: [UnitID])

    /// Changes member units hear about in the lobby.
    public var isLobbyNotice: Bool {
        switch self {
        case .convened, .cancelled, .sessionOpened, .minutesCirculated, .sealed: true
        case .invitationAnswered, .attendance, .itemOpened, .proposalTabled, .positionStated, .proposalClosed, .itemClosed, .adjourned, .minutesSignedOff: false
        }
    }

    /// The kind of the change: its stable name (the event type on the wire and in storage).
    public var kind: MeetingChangeKind {
        switch self {
        case .convened: .convened
        case .invitationAnswered: .invitationAnswered
        case .cancelled: .cancelled
        case .sessionOpened: .sessionOpened
        case .attendance: .attendance
        case .itemOpened: .itemOpened
        case .proposalTabled: .proposalTabled
        case .positionStated: .positionStated
        case .proposalClosed: .proposalClosed
        case .itemClosed: .itemClosed
        case .adjourned: .adjourned
        case .minutesCirculated: .minutesCirculated
        case .minutesSignedOff: .minutesSignedOff
        case .sealed: .sealed
        }
    }

    public var type: String { kind.rawValue }
}

/// Every kind of meeting change; the raw value is the wire name. A switch over the kinds (or over
/// MeetingChange) lists every one, so a new kind that misses a rule does not compile.
public enum MeetingChangeKind: String, CaseIterable, Sendable, Codable {
    case convened
    case invitationAnswered = "invitation_answered"
    case cancelled
    case sessionOpened = "session_opened"
    case attendance
    case itemOpened = "item_opened"
    case proposalTabled = "proposal_tabled"
    case positionStated = "position_stated"
    case proposalClosed = "proposal_closed"
    case itemClosed = "item_closed"
    case adjourned
    case minutesCirculated = "minutes_circulated"
    case minutesSignedOff = "minutes_signed_off"
    case sealed
}

extension MeetingChange: Codable {
    private enum Keys: String, CodingKey {
        case type, convening, unit, response, reason, person, joined, staff, item, text, effects, version, position, closing, outcome, minutes
        case approve, nonSigners
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let type = try c.decode(String.self, forKey: .type)
        guard let kind = MeetingChangeKind(rawValue: type) else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown meeting change `\(type)`")
        }
        switch kind {
        case .convened: self = .convened(try c.decode(Convening.self, forKey: .convening))
        case .invitationAnswered:
            self = .invitationAnswered(unit: try c.decode(UnitID.self, forKey: .unit), response: try c.decode(Invitation.Response.self, forKey: .response))
        case .cancelled: self = .cancelled(reason: try c.decode(String.self, forKey: .reason))
        case .sessionOpened: self = .sessionOpened
        case .attendance:
            self = .attendance(person: try c.decode(PersonID.self, forKey: .person), unit: try c.decode(UnitID.self, forKey: .unit),
                               joined: try c.decode(Bool.self, forKey: .joined), staff: try c.decodeIfPresent(Bool.self, forKey: .staff) ?? false)
        case .itemOpened: self = .itemOpened(item: try c.decode(Int.self, forKey: .item))
        case .proposalTabled:
            self = .proposalTabled(item: try c.decode(Int.self, forKey: .item), text: try c.decode(String.self, forKey: .text),
                                   effects: try c.decodeIfPresent(ProposalEffects.self, forKey: .effects) ?? ProposalEffects())
        case .positionStated:
            self = .positionStated(item: try c.decode(Int.self, forKey: .item), version: try c.decode(Int.self, forKey: .version),
                                   position: try c.decode(PositionKind.self, forKey: .position), reason: try c.decodeIfPresent(String.self, forKey: .reason))
        case .proposalClosed:
            self = .proposalClosed(item: try c.decode(Int.self, forKey: .item), closing: try c.decode(ProposalClosing.self, forKey: .closing),
                                   outcome: try c.decodeIfPresent(Outcome.self, forKey: .outcome))
        case .itemClosed: self = .itemClosed(item: try c.decode(Int.self, forKey: .item))
        case .adjourned: self = .adjourned
        case .minutesCirculated: self = .minutesCirculated(try c.decode(Minutes.self, forKey: .minutes))
        case .minutesSignedOff:
            self = .minutesSignedOff(approve: try c.decode(Bool.self, forKey: .approve), reason: try c.decodeIfPresent(String.self, forKey: .reason))
        case .sealed: self = .sealed(nonSigners: try c.decode([UnitID].self, forKey: .nonSigners))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(type, forKey: .type)
        switch self {
        case .convened(let convening): try c.encode(convening, forKey: .convening)
        case .invitationAnswered(let unit, let response):
            try c.encode(unit, forKey: .unit)
            try c.encode(response, forKey: .response)
        case .cancelled(let reason): try c.encode(reason, forKey: .reason)
        case .sessionOpened, .adjourned: break
        case .attendance(let person, let unit, let joined, let staff):
            try c.encode(person, forKey: .person)
            try c.encode(unit, forKey: .unit)
            try c.encode(joined, forKey: .joined)
            if staff { try c.encode(staff, forKey: .staff) }
        case .itemOpened(let item), .itemClosed(let item): try c.encode(item, forKey: .item)
        case .proposalTabled(let item, let text, let effects):
            try c.encode(item, forKey: .item)
            try c.encode(text, forKey: .text)
            try c.encode(effects, forKey: .effects)
        case .positionStated(let item, let version, let position, let reason):
            try c.encode(item, forKey: .item)
            try c.encode(version, forKey: .version)
            try c.encode(position, forKey: .position)
            try c.encodeIfPresent(reason, forKey: .reason)
        case .proposalClosed(let item, let closing, let outcome):
            try c.encode(item, forKey: .item)
            try c.encode(closing, forKey: .closing)
            try c.encodeIfPresent(outcome, forKey: .outcome)
        case .minutesCirculated(let minutes): try c.encode(minutes, forKey: .minutes)
        case .minutesSignedOff(let approve, let reason):
            try c.encode(approve, forKey: .approve)
            try c.encodeIfPresent(reason, forKey: .reason)
        case .sealed(let nonSigners): try c.encode(nonSigners, forKey: .nonSigners)
        }
    }
}

/// One entry of a meeting's history.
public struct MeetingEvent: Codable, Sendable, Equatable {
    public let meetingID: MeetingID
    public let sequence: Int64
    public let actorPerson: PersonID
    public let actorUnit: UnitID
    public let at: Timestamp
    public let change: MeetingChange

    private enum CodingKeys: String, CodingKey {
        case meetingID = "meetingId"
        case sequence, actorPerson, actorUnit, at, change
    }

    public init(meetingID: MeetingID, sequence: Int64, actorPerson: PersonID, actorUnit: UnitID, at: Timestamp, change: MeetingChange) {
        self.meetingID = meetingID
        self.sequence = sequence
        self.actorPerson = actorPerson
        self.actorUnit = actorUnit
        self.at = at
        self.change = change
    }
}

public enum MeetingLifecycle: Lifecycle {
    public static let titleLength = 200
    public static let textLength = 10_000
    public static let maxAgenda = 50
    public static let maxInvited = 50

    /// Checks `change` by `actor` at `now`; returns the change to record (an outcome or the minutes
    /// filled in) or a refusal.
    public static func decide(
        _ change: MeetingChange, on meeting: Meeting?, by actor: Actor, at now: Timestamp, in policy: DeadlinePolicy
    ) throws(CaseRefusal) -> MeetingChange {
        if let refusal = MeetingAccess.refusal(change, on: meeting, by: actor) { throw refusal }
        return try refusing { try decideOrThrow(change, on: meeting, by: actor, at: now, policy: policy) }
    }

    private static func decideOrThrow(
        _ change: MeetingChange, on meeting: Meeting?, by actor: Actor, at now: Timestamp, policy: DeadlinePolicy
    ) throws -> MeetingChange {
        guard case .convened(let convening) = change else {
            guard let meeting else { throw CaseRefusal(.notFound, "no such meeting") }
            return try decideExisting(change, meeting, actor, now, policy)
        }
        guard meeting == nil else { throw CaseRefusal(.invalidState, "the meeting is already convened") }
        try CaseLifecycle.checkText(convening.title, "title", max: titleLength)
        guard !convening.agenda.isEmpty, convening.agenda.count <= maxAgenda else { throw CaseRefusal(.invalidArgument, "give 1 to \(maxAgenda) agenda items") }
        for entry in convening.agenda { try CaseLifecycle.checkText(entry.description, "agenda item description", max: CaseInputLimits.reasonLength) }
        let units = convening.invited.map(\.unit)
        guard Set(units).count == units.count else { throw CaseRefusal(.invalidArgument, "a unit is invited twice") }
        try CaseLifecycle.checkUnits(units, minimum: 1)
        let required = convening.invited.filter(\.required).count
        guard required > 0 else { throw CaseRefusal(.invalidArgument, "invite at least one required unit") }
        if let minimum = convening.quorumMinimum, !(1...required).contains(minimum) {
            throw CaseRefusal(.invalidArgument, "the quorum is 1 to \(required) required units")
        }
        if convening.chair != nil, convening.chair != actor.person, convening.chairIsLeader != true {
            throw CaseRefusal(.invalidArgument, "a chair other than the convener must be a leader")
        }
        return change
    }

    private static func decideExisting(_ change: MeetingChange, _ meeting: Meeting, _ actor: Actor, _ now: Timestamp, _ policy: DeadlinePolicy) throws -> MeetingChange {
        func requireStatus(_ allowed: Set<MeetingStatus>, _ what: String) throws {
            guard allowed.contains(meeting.status) else {
                throw CaseRefusal(.invalidState, "cannot \(what) while \(meeting.id) is \(meeting.status.rawValue)")
            }
        }
        func openItem(_ number: Int) throws -> AgendaItem {
            guard let item = meeting.agenda.first(where: { $0.number == number }) else { throw CaseRefusal(.notFound, "no agenda item \(number)") }
            guard item.state == .open else { throw CaseRefusal(.invalidState, "agenda item \(number) is \(item.state.rawValue), not open") }
            return item
        }
        switch change {
        case .convened:
            throw CaseRefusal(.invalidState, "the meeting is already convened")

        case .invitationAnswered:
            try requireStatus([.scheduled, .inSession], "answer the invitation")
            return change

        case .cancelled(let reason):
            try requireStatus([.scheduled], "cancel (only before the session starts)")
            try CaseLifecycle.checkText(reason, "reason", max: CaseInputLimits.reasonLength)
            return change

        case .sessionOpened:
            try requireStatus([.scheduled], "open the session")
            return change

        case .attendance(let person, _, let joined, _):
            try requireStatus([.scheduled, .inSession], "record attendance")
            if !joined, !meeting.attendance.contains(where: { $0.person == person && $0.leftAt == nil }) {
                throw CaseRefusal(.invalidState, "\(person) is not recorded as present")
            }
            return change

        case .itemOpened(let number):
            try requireStatus([.inSession], "open an agenda item")
            guard let item = meeting.agenda.first(where: { $0.number == number }) else { throw CaseRefusal(.notFound, "no agenda item \(number)") }
            guard item.state == .pending else { throw CaseRefusal(.invalidState, "agenda item \(number) is \(item.state.rawValue)") }
            if let other = meeting.agenda.first(where: { $0.state == .open }) {
                throw CaseRefusal(.invalidState, "close agenda item \(other.number) first")
            }
            return change

        case .proposalTabled(let number, let text, let effects):
            try requireStatus([.inSession], "table a proposal")
            _ = try openItem(number)
            try CaseLifecycle.checkText(text, "proposal", max: textLength)
            if let measures = effects.measures {
                guard measures.count <= CaseInputLimits.measures else { throw CaseRefusal(.invalidArgument, "at most \(CaseInputLimits.measures) measures") }
                for measure in measures { try CaseLifecycle.checkText(measure, "measure", max: CaseInputLimits.reasonLength) }
            }
            if let lead = effects.lead { try CaseLifecycle.checkUnits([lead] + (effects.coHandling ?? []), minimum: 1) }
            if let reason = effects.listedSupervision { try CaseLifecycle.checkText(reason, "listed supervision reason", max: CaseInputLimits.reasonLength) }
            return change

        case .positionStated(let number, let version, let position, let reason):
            try requireStatus([.inSession], "state a position")
            let item = try openItem(number)
            guard meeting.presentUnits.contains(actor.unit) else { throw CaseRefusal(.invalidState, "join the meeting room to state a position") }
            guard item.proposalOpen, let current = item.current else { throw CaseRefusal(.invalidState, "no proposal is open on item \(number)") }
            guard version == current.version else {
                throw CaseRefusal(.invalidState, "version \(version) is stale; the current proposal is version \(current.version)")
            }
            if position == .object { try CaseLifecycle.checkText(reason ?? "", "reason for objecting", max: CaseInputLimits.reasonLength) }
            return .positionStated(item: number, version: version, position: position, reason: position == .object ? reason : nil)

        case .proposalClosed(let number, let closing, _):
            try requireStatus([.inSession], "close a proposal")
            let item = try openItem(number)
            guard item.proposalOpen, let current = item.current else { throw CaseRefusal(.invalidState, "no proposal is open on item \(number)") }
            let present = meeting.presentUnits
            let required = meeting.requiredUnits
            let positions = current.positions
            let objections = positions.filter { $0.position == .object }
            var kind: OutcomeKind
            switch closing {
            case .withdraw:
                kind = .withdrawn
            case .decide:
                guard meeting.chairIsLeader else { throw CaseRefusal(.forbidden, "only a chair who is a leader decides over an objection") }
                guard !objections.isEmpty else { throw CaseRefusal(.invalidState, "the chair decides only after a recorded objection") }
                kind = .decidedByChair
            case .close:
                let presentRequired = required.filter { present.contains($0) }
                let allPositioned = presentRequired.allSatisfy { unit in positions.contains { $0.unit == unit } }
                kind = meeting.hasQuorum && allPositioned && objections.isEmpty ? .adoptedByConsensus : .notAdopted
            }
            let outcome = Outcome(
                kind: kind, version: current.version,
                agree: positions.filter { $0.position == .agree }.map(\.unit), abstain: positions.filter { $0.position == .abstain }.map(\.unit),
                object: objections.map(\.unit), entitled: required, present: present, quorum: meeting.hasQuorum, dissent: objections, at: now,
                by: actor.person)
            return .proposalClosed(item: number, closing: closing, outcome: outcome)

        case .itemClosed(let number):
            try requireStatus([.inSession], "close an agenda item")
            let item = try openItem(number)
            guard !item.proposalOpen else { throw CaseRefusal(.invalidState, "close the open proposal on item \(number) first") }
            return change

        case .adjourned:
            try requireStatus([.inSession], "adjourn")
            if let open = meeting.agenda.first(where: { $0.proposalOpen }) {
                throw CaseRefusal(.invalidState, "close the open proposal on item \(open.number) first")
            }
            return change

        case .minutesCirculated:
            try requireStatus([.adjourned], "circulate the minutes")
            let today = policy.timeZone.localDate(of: now.date)
            let due = policy.calendar.workingDayDeadline(from: today, days: policy.limits.minutesSignOffWorkingDays)
            // Invited units that took part sign off; observers do not.
            let participants = meeting.participatingUnits.filter { meeting.invitation($0) != nil }
            return .minutesCirculated(Minutes(draftedAt: now, participants: participants, signOffDueAt: Timestamp(policy.timeZone.endOfDay(due))))

        case .minutesSignedOff(let approve, let reason):
            try requireStatus([.minutesCirculated], "sign off the minutes")
            guard let minutes = meeting.minutes else { throw CaseRefusal(.invalidState, "there are no minutes yet") }
            guard !minutes.signOffs.contains(where: { $0.unit == actor.unit }) else {
                throw CaseRefusal(.invalidState, "\(actor.unit) already signed off the minutes")
            }
            if !approve { try CaseLifecycle.checkText(reason ?? "", "reason for objecting", max: CaseInputLimits.reasonLength) }
            return .minutesSignedOff(approve: approve, reason: approve ? nil : reason)

        case .sealed(let nonSigners):
            try requireStatus([.minutesCirculated], "seal the minutes")
            guard let minutes = meeting.minutes, nonSigners == minutes.pending, nonSigners.isEmpty || now >= minutes.signOffDueAt else {
                throw CaseRefusal(.invalidState, "the minutes of \(meeting.id) are still waiting for sign-offs")
            }
            return change
        }
    }

    /// The meeting after `event`.
    public static func apply(_ event: MeetingEvent, to meeting: Meeting?) -> Meeting {
        var next: Meeting
        if case .convened(let convening) = event.change {
            next = Meeting(
                id: event.meetingID, title: convening.title, scheduledAt: convening.scheduledAt, convener: event.actorPerson,
                chair: convening.chair ?? event.actorPerson, chairIsLeader: convening.chairIsLeader ?? false,
                invitations: convening.invited.map { Invitation(unit: $0.unit, required: $0.required) }, quorumMinimum: convening.quorumMinimum,
                agenda: convening.agenda.enumerated().map { AgendaItem(number: $0.offset + 1, caseID: $0.element.caseID, description: $0.element.description) })
        } else {
            guard let meeting else { preconditionFailure("\(event.change.type) before convening \(event.meetingID)") }
            next = meeting
        }
        let at = event.at
        func updateItem(_ number: Int, _ body: (inout AgendaItem) -> Void) {
            guard let index = next.agenda.firstIndex(where: { $0.number == number }) else { return }
            body(&next.agenda[index])
        }
        switch event.change {
        case .convened:
            break
        case .invitationAnswered(let unit, let response):
            if let index = next.invitations.firstIndex(where: { $0.unit == unit }) {
                next.invitations[index].response = response
                next.invitations[index].respondedAt = at
            }
        case .cancelled(let reason):
            next.status = .cancelled
            next.cancelledReason = reason
        case .sessionOpened:
            next.status = .inSession
            next.openedAt = at
        case .attendance(let person, let unit, let joined, let staff):
            if joined {
                if !next.attendance.contains(where: { $0.person == person && $0.leftAt == nil }) {
                    next.attendance.append(AttendanceSpan(person: person, unit: unit, joinedAt: at, staff: staff ? true : nil))
                }
            } else if let index = next.attendance.lastIndex(where: { $0.person == person && $0.leftAt == nil }) {
                next.attendance[index].leftAt = at
            }
        case .itemOpened(let number):
            updateItem(number) { $0.state = .open }
        case .proposalTabled(let number, let text, let effects):
            updateItem(number) { item in
                item.proposals.append(Proposal(version: (item.current?.version ?? 0) + 1, text: text, effects: effects, tabledAt: at))
                item.proposalOpen = true
            }
        case .positionStated(let number, _, let position, let reason):
            updateItem(number) { item in
                guard var proposal = item.proposals.popLast() else { return }
                let earlier = proposal.positions.first { $0.unit == event.actorUnit }
                proposal.positions.removeAll { $0.unit == event.actorUnit }
                proposal.positions.append(UnitPosition(
                    unit: event.actorUnit, person: event.actorPerson, position: position, reason: reason, at: at,
                    statements: (earlier?.statements ?? 0) + 1))
                proposal.positions.sort { $0.unit < $1.unit }
                item.proposals.append(proposal)
            }
        case .proposalClosed(let number, _, let outcome):
            updateItem(number) { item in
                item.proposalOpen = false
                if let outcome { item.outcomes.append(outcome) }
            }
        case .itemClosed(let number):
            updateItem(number) { $0.state = .closed }
        case .adjourned:
            next.status = .adjourned
            next.adjournedAt = at
            for index in next.attendance.indices where next.attendance[index].leftAt == nil { next.attendance[index].leftAt = at }
        case .minutesCirculated(let minutes):
            next.status = .minutesCirculated
            next.minutes = minutes
        case .minutesSignedOff(let approve, let reason):
            next.minutes?.signOffs.append(MinutesSignOff(unit: event.actorUnit, person: event.actorPerson, approve: approve, reason: reason, at: at))
        case .sealed(let nonSigners):
            next.status = .sealed
            next.minutes?.sealedAt = at
            next.minutes?.nonSigners = nonSigners
            next.minutes?.layout = MinutesDocument.layout
        }
        next.lastSequence = event.sequence
        return next
    }

    /// What the hub records on its own in `meeting` at `now`: the minutes after adjournment, and
    /// the seal once every unit signed off or the sign-off deadline passed.
    public static func followUp(_ meeting: Meeting, at now: Timestamp, in policy: DeadlinePolicy) -> MeetingChange? {
        switch meeting.status {
        case .adjourned:
            return .minutesCirculated(Minutes(draftedAt: now, participants: [], signOffDueAt: now))
        case .minutesCirculated:
            guard let minutes = meeting.minutes else { return nil }
            if minutes.pending.isEmpty || now >= minutes.signOffDueAt { return .sealed(nonSigners: minutes.pending) }
            return nil
        default:
            return nil
        }
    }
}
