// CaseAccess: who may read a case and who may read its petitioner's personal data. Pure rules;
// the store applies them to what it returns.

public enum CaseAccess {
    /// Coordinators, leaders and auditors see every case; anyone else only cases their unit is on.
    public static func mayRead(_ state: PetitionCase, by actor: Actor) -> Bool {
        if actor.has(.coordinator) || actor.has(.leader) || actor.has(.auditor) { return true }
        return state.involves(actor.unit)
    }

    /// The petitioner's name and contact: only the units on the case, coordinators and auditors
    /// (a leader of a unit not on the case sees the case but not the person).
    public static func mayReadPetitioner(_ state: PetitionCase, by actor: Actor) -> Bool {
        if actor.has(.coordinator) || actor.has(.auditor) { return true }
        return state.involves(actor.unit) && (actor.has(.officer) || actor.has(.leader))
    }
}

extension CaseStore {
    /// The case as `viewer` may see it; a refusal with code `forbidden` if they may not.
    public func caseState(_ id: CaseID, for viewer: Actor) async throws -> PetitionCase {
        guard let state = try await caseState(id) else { throw CaseRefusal(.notFound, "no case \(id)") }
        guard CaseAccess.mayRead(state, by: viewer) else { throw CaseRefusal(.forbidden, "\(id) does not involve your unit") }
        return state
    }

    /// The history as `viewer` may see it: petitioner data withheld unless they are entitled to it.
    public func history(of id: CaseID, for viewer: Actor, after afterSequence: Int64 = 0, limit: Int = 1_000) async throws -> [CaseEvent] {
        let state = try await caseState(id, for: viewer)
        let events = try await history(of: id, after: afterSequence, limit: limit)
        return CaseAccess.mayReadPetitioner(state, by: viewer) ? events : events.map { $0.redactingPetitioner() }
    }

    /// The petitioner's name and contact, for viewers entitled to them.
    public func petitioner(of id: CaseID, for viewer: Actor) async throws -> Petitioner? {
        let state = try await caseState(id, for: viewer)
        guard CaseAccess.mayReadPetitioner(state, by: viewer) else {
            throw CaseRefusal(.forbidden, "petitioner details are for the units on the case, coordinators and auditors")
        }
        return try await petitioner(of: id)
    }
}
