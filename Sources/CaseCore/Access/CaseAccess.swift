// CaseAccess: who may read a case and who may read its petitioner's personal data. Pure rules;
// the store applies them to what it returns. (Who may change a case: ChangeAccess.swift.)

extension Actor {
    /// Whether the person has a role that works on cases. A person whose only role is `admin`
    /// manages units, people and credentials and reads nothing about cases.
    public var worksOnCases: Bool { has(.officer) || has(.leader) || has(.coordinator) || has(.auditor) }
}

public enum CaseAccess {
    /// Coordinators, leaders and auditors see every case (and every unit's figures and the
    /// supervision list); anyone else only what their own unit is on.
    public static func seesEveryCase(_ actor: Actor) -> Bool {
        actor.has(.coordinator) || actor.has(.leader) || actor.has(.auditor)
    }

    /// Coordinators, leaders and auditors read every case; officers the cases their unit is on;
    /// administrators none.
    public static func mayRead(_ state: PetitionCase, by actor: Actor) -> Bool {
        mayRead(involvingTheirUnit: state.involves(actor.unit), by: actor)
    }

    /// The same rule, given whether the case involves the actor's unit (lead, co-handling or
    /// involved).
    public static func mayRead(involvingTheirUnit involved: Bool, by actor: Actor) -> Bool {
        seesEveryCase(actor) || (involved && actor.has(.officer))
    }

    /// The petitioner's name and contact: only the units on the case (officers and leaders),
    /// coordinators and auditors (a leader of a unit not on the case sees the case but not the
    /// person).
    public static func mayReadPetitioner(_ state: PetitionCase, by actor: Actor) -> Bool {
        mayReadPetitioner(involvingTheirUnit: state.involves(actor.unit), by: actor)
    }

    /// The same rule, given whether the case involves the actor's unit.
    public static func mayReadPetitioner(involvingTheirUnit involved: Bool, by actor: Actor) -> Bool {
        if actor.has(.coordinator) || actor.has(.auditor) { return true }
        return involved && (actor.has(.officer) || actor.has(.leader))
    }
}

extension CaseAccess {
    /// The case figures (处理天数, 按期率, 满意率) of `unit`, or of all units and each (`unit`
    /// nil): coordinators, leaders and auditors read every unit's; officers their own unit's.
    public static func mayReadFigures(of unit: UnitID?, by actor: Actor) -> Bool {
        seesEveryCase(actor) || (actor.has(.officer) && unit == actor.unit)
    }
}

extension CaseStore {
    /// The case as `viewer` may see it; a refusal with code `forbidden` if they may not.
    public func caseState(_ id: CaseID, for viewer: Actor) async throws -> PetitionCase {
        guard let state = try await caseState(id) else { throw CaseRefusal(.notFound, "no case \(id)") }
        guard CaseAccess.mayRead(state, by: viewer) else { throw CaseAccess.readRefusal(id, by: viewer) }
        return state
    }

    /// Refuses exactly as `caseState(_:for:)` does (`not_found`, `forbidden`) without reading the
    /// case: whether it involves the viewer's unit comes from the `case_units` projection, written
    /// in the same transaction as the state (what `PetitionCase.involves` checks). Joining a case
    /// room asks only this.
    public func checkMayRead(_ id: CaseID, by viewer: Actor) async throws {
        let unit = viewer.unit.rawValue
        let (exists, involved) = try await read { connection -> (Bool, Bool) in
            let row = try connection.query(
                "SELECT EXISTS (SELECT 1 FROM cases WHERE id = ?), EXISTS (SELECT 1 FROM case_units WHERE case_id = ? AND unit_id = ?)",
                [.integer(id.rawValue), .integer(id.rawValue), .text(unit)]).first
            return (row?.int(0) == 1, row?.int(1) == 1)
        }
        guard exists else { throw CaseRefusal(.notFound, "no case \(id)") }
        guard CaseAccess.mayRead(involvingTheirUnit: involved, by: viewer) else { throw CaseAccess.readRefusal(id, by: viewer) }
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

extension CaseAccess {
    /// Why `viewer` may not read case `id`.
    static func readRefusal(_ id: CaseID, by viewer: Actor) -> CaseRefusal {
        viewer.worksOnCases
            ? CaseRefusal(.forbidden, "\(id) does not involve your unit")
            : CaseRefusal(.forbidden, "administrators manage units, people and credentials; they do not read cases")
    }
}
