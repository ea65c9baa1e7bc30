// Negotiation: who leads a case that involves several units (协商受理, Regulations Art. 24). Units
// answer claim / support / cohandle / decline; pure rules settle the case by consensus or declare
// it disputed, and a disputed case escalates to the lowest common superior unit or to the
// conference office.

/// A unit's answer in a negotiation.
public struct NegotiationAnswer: Codable, Sendable, Equatable {
    public enum Position: String, Codable, Sendable, CaseIterable {
        /// We will lead.
        case claim
        /// `supports` should lead; we will co-handle.
        case support
        /// We will assist whoever leads.
        case cohandle
        /// Not within our remit (a position, not an exit: the unit stays involved).
        case decline
    }

    public var position: Position
    /// For `support`: the unit that should lead.
    public var supports: UnitID?
    /// For `decline`: why the matter is outside the unit's remit.
    public var reason: String?
    /// For `decline`: the legal or policy basis.
    public var basis: String?

    public init(position: Position, supports: UnitID? = nil, reason: String? = nil, basis: String? = nil) {
        self.position = position
        self.supports = supports
        self.reason = reason
        self.basis = basis
    }

    public static let claim = NegotiationAnswer(position: .claim)
    public static let cohandle = NegotiationAnswer(position: .cohandle)
    public static func support(_ unit: UnitID) -> NegotiationAnswer { NegotiationAnswer(position: .support, supports: unit) }
    public static func decline(reason: String, basis: String) -> NegotiationAnswer {
        NegotiationAnswer(position: .decline, reason: reason, basis: basis)
    }
}

/// One unit's current answer in the open round, with when it first and last answered.
public struct UnitAnswer: Codable, Sendable, Equatable {
    public var unit: UnitID
    public var answer: NegotiationAnswer
    /// Who gave the current answer.
    public var person: PersonID
    public var at: Timestamp
    public var firstAnsweredAt: Timestamp
    /// How many answers the unit gave in this round (1 = never changed).
    public var answers: Int
}

/// Why a negotiation did not settle.
public enum DisputeReason: String, Codable, Sendable, CaseIterable {
    /// Two or more units claimed the lead.
    case competingClaims = "competing_claims"
    /// Every unit declined.
    case allDeclined = "all_declined"
    /// Every unit answered, but not one claim with everyone else supporting it or co-handling.
    case noConsensus = "no_consensus"
    /// The negotiation deadline passed without settlement.
    case deadlinePassed = "deadline_passed"
}

/// A disputed negotiation and where it goes for decision.
public struct Dispute: Codable, Sendable, Equatable {
    public var reason: DisputeReason
    /// Units that had not answered when the negotiation closed.
    public var unanswered: [UnitID]
    /// The lowest common superior unit of the negotiating units, whose leader decides; nil when
    /// there is none and the conference office (a coordinator) assigns.
    public var escalatedTo: UnitID?

    public init(reason: DisputeReason, unanswered: [UnitID], escalatedTo: UnitID?) {
        self.reason = reason
        self.unanswered = unanswered
        self.escalatedTo = escalatedTo
    }

    private enum CodingKeys: String, CodingKey { case reason, unanswered, escalatedTo }

    /// `escalated_to` is always written, `null` when the conference office decides (as
    /// docs/case-lifecycle.md shows it): a reader need not know that a missing key means the office.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(reason, forKey: .reason)
        try container.encode(unanswered, forKey: .unanswered)
        try container.encode(escalatedTo, forKey: .escalatedTo)
    }
}

/// The negotiation of a case: the latest round (a round reopens after an upheld objection or a
/// forward to more units).
public struct Negotiation: Codable, Sendable, Equatable {
    public var round: Int
    public var openedAt: Timestamp
    /// The units that negotiate, sorted.
    public var units: [UnitID]
    /// The current answer of each unit that answered, sorted by unit.
    public var answers: [UnitAnswer] = []
    /// When the round closed (settled or disputed); nil while open.
    public var closedAt: Timestamp?
    /// The lead unit when the round settled by consensus.
    public var settledLead: UnitID?
    /// Why the round did not settle.
    public var dispute: Dispute?
    /// A unit whose last answer was `decline` and that was nevertheless made lead afterwards.
    public var declineOverturned: UnitID?

    public var isOpen: Bool { closedAt == nil }

    /// The current answer of `unit`.
    public func answer(of unit: UnitID) -> UnitAnswer? { answers.first { $0.unit == unit } }

    /// Units that have not answered, sorted.
    public var unanswered: [UnitID] { units.filter { answer(of: $0) == nil } }
}

/// A disputed case awaiting (or past) the binding decision of a superior or the conference office.
public struct Escalation: Codable, Sendable, Equatable {
    public var reason: DisputeReason
    /// The deciding unit (a leader of it decides); nil for the conference office (a coordinator).
    public var to: UnitID?
    public var at: Timestamp
    /// When the decision deadline passed without a decision (flagged to leaders).
    public var overdueAt: Timestamp?
    /// When the decision was made.
    public var decidedAt: Timestamp?
}

/// What the answers so far mean.
public enum NegotiationEvaluation: Sendable, Equatable {
    /// Waiting for more answers (or changed answers).
    case open
    /// Exactly one claim and every other unit supports it or co-handles.
    case settled(lead: UnitID, coHandling: [UnitID])
    case disputed(DisputeReason)
}

/// The unit hierarchy (each unit's parent), for escalation.
public struct UnitHierarchy: Sendable, Equatable {
    public var parents: [UnitID: UnitID]

    public init(parents: [UnitID: UnitID] = [:]) { self.parents = parents }

    public init(units: [Unit]) {
        var parents: [UnitID: UnitID] = [:]
        for unit in units { if let parent = unit.parent { parents[unit.id] = parent } }
        self.parents = parents
    }

    /// `unit`'s superiors, nearest first (a cycle in bad data stops the walk).
    public func superiors(of unit: UnitID) -> [UnitID] {
        var result: [UnitID] = []
        var seen: Set<UnitID> = [unit]
        var current = unit
        while let parent = parents[current], seen.insert(parent).inserted {
            result.append(parent)
            current = parent
        }
        return result
    }

    /// The lowest unit that is a superior of every one of `units` (none of them itself), or nil.
    public func lowestCommonSuperior(of units: [UnitID]) -> UnitID? {
        guard let first = units.first else { return nil }
        let others = units.dropFirst().map { Set(superiors(of: $0)) }
        return superiors(of: first).first { candidate in !units.contains(candidate) && others.allSatisfy { $0.contains(candidate) } }
    }
}

public enum NegotiationRules {
    /// Settlement and dispute rules, applied to the answers of an open round.
    ///
    /// - Two or more claims: disputed at once (`competing_claims`).
    /// - Every unit answered:
    ///   - all declined: disputed (`all_declined`);
    ///   - one claim, every other unit `support`s the claimant or `cohandle`s: settled;
    ///   - otherwise disputed (`no_consensus`).
    /// - Otherwise still open: a unit may change its answer until the round closes.
    public static func evaluate(_ negotiation: Negotiation) -> NegotiationEvaluation {
        let claimants = negotiation.answers.filter { $0.answer.position == .claim }.map(\.unit)
        if claimants.count >= 2 { return .disputed(.competingClaims) }
        guard negotiation.unanswered.isEmpty else { return .open }
        if negotiation.answers.allSatisfy({ $0.answer.position == .decline }) { return .disputed(.allDeclined) }
        guard claimants.count == 1, let lead = claimants.first else { return .disputed(.noConsensus) }
        let othersAgree = negotiation.answers.allSatisfy { answer in
            answer.unit == lead || answer.answer.position == .cohandle
                || (answer.answer.position == .support && answer.answer.supports == lead)
        }
        guard othersAgree else { return .disputed(.noConsensus) }
        return .settled(lead: lead, coHandling: negotiation.units.filter { $0 != lead })
    }
}

extension PetitionCase {
    /// When the hub recorded that the running `kind` deadline lapsed, leaving `followUp` nothing
    /// more to do for it: an escalated decision flagged overdue. (A lapsed negotiation is
    /// disputed, which meets its deadline.) The deadline sweep reads only lapses not recorded.
    public func lapseRecorded(_ kind: DeadlineKind) -> Timestamp? {
        kind == .escalation ? escalation?.overdueAt : nil
    }
}
