// CaseStore+Units: what the writer reads of the units — the directory the access rules see (the
// hierarchy and the conference office, found by kind), the units a change names, and the check
// that they exist.
extension CaseStore {
    /// The units as the access rules see them (hierarchy and conference office), as stored now.
    static func unitDirectory(connection: SQLiteConnection) throws -> UnitDirectory {
        UnitDirectory(hierarchy: try hierarchy(connection), offices: Set(try officeUnits(connection)))
    }

    /// The conference office's units: those of kind `petition_bureau`, by id. The office is found by
    /// its kind, never by an id (a conference may call its office what it likes).
    /// The conference's own name (`init --conference`), shown by the console; nil when none was given.
    public func conferenceName() async throws -> String? {
        try await read { connection in
            try connection.query("SELECT value FROM hub_meta WHERE key = 'conference_name'").first?.string(0)
        }
    }

    /// Names the conference (1 to `CaseInputLimits.nameLength` characters).
    public func setConferenceName(_ name: String) async throws {
        try Self.checkName(name)
        try await write { connection in
            try connection.run(
                "INSERT INTO hub_meta (key, value) VALUES ('conference_name', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [.text(name)])
        }
    }

    public func officeUnits() async throws -> [UnitID] {
        try await read { connection in try Self.officeUnits(connection) }
    }

    static func officeUnits(_ connection: SQLiteConnection) throws -> [UnitID] {
        try connection.query("SELECT id FROM units WHERE kind = ? ORDER BY id", [.text(UnitKind.petitionBureau.rawValue)])
            .map { UnitID($0.string(0) ?? "") }
    }

    /// The unit hierarchy as stored now.
    static func hierarchy(_ connection: SQLiteConnection) throws -> UnitHierarchy {
        var parents: [UnitID: UnitID] = [:]
        for row in try connection.query("SELECT id, parent_id FROM units WHERE parent_id IS NOT NULL") {
            parents[UnitID(row.string(0) ?? "")] = UnitID(row.string(1) ?? "")
        }
        return UnitHierarchy(parents: parents)
    }

    static func units(in change: CaseChange) -> [UnitID] {
        switch change {
        case .negotiationOpened(let units), .objectionUpheld(let units, _), .forwarded(let units): return units
        case .assigned(let assignment), .leadDecided(let assignment), .leadReassigned(let assignment):
            return [assignment.lead] + assignment.coHandling
        case .registered, .negotiationAnswered, .negotiationSettled, .negotiationDisputed, .escalationOverdue,
            .taskAssigned, .taskAcknowledged, .taskProgress, .taskDone, .taskAccepted, .taskReturned, .answerDrafted,
            .answerCosigned, .answerObjected, .extensionRequested, .extensionRefused, .supervisionOpened,
            .supervisionAnswered, .supervisionEscalated, .listedSupervisionSet, .listedSupervisionCleared,
            .meetingDecision, .objectionRaised, .objectionRejected, .accepted, .handlingStarted, .planSet,
            .extensionGranted, .answered, .satisfactionRated, .reviewRequested, .reviewed, .reReviewRequested,
            .reReviewed, .closed, .routedOut: return []
        }
    }

    static func requireUnitsExist(_ units: [UnitID], _ connection: SQLiteConnection) throws {
        for unit in Set(units) {
            guard IdentifierRules.isValid(unit.rawValue) else {
                throw CaseRefusal(.invalidArgument, "unit id `\(unit.rawValue.prefix(64))` is not valid")
            }
            if try connection.query("SELECT 1 FROM units WHERE id = ?", [.text(unit.rawValue)]).isEmpty {
                throw CaseRefusal(.invalidArgument, "no unit `\(unit.rawValue)`")
            }
        }
    }
}
