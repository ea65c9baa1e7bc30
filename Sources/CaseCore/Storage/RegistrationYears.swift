// RegistrationYears: the stored side of registration numbers (登记编号) — the deployment's pattern
// (`hub_meta` `registration_pattern`, chosen at `init`) and the first case of each year
// (`registration_years`), written in the registration's own transaction. The store keeps the
// numbering in memory: it changes once a year, and every case shown needs it.
import Foundation

enum RegistrationYears {
    /// The numbering as stored.
    static func load(_ connection: SQLiteConnection) throws -> RegistrationNumbering {
        let text = try connection.query("SELECT value FROM hub_meta WHERE key = 'registration_pattern'").first?.string(0)
        let pattern = try text.map { text throws(CaseRefusal) in try NumberPattern(text) } ?? .default
        let years = try connection.query("SELECT year, first_case FROM registration_years ORDER BY first_case")
            .map { RegistrationNumbering.YearStart(year: Int($0.int(0) ?? 0), firstCase: CaseID($0.int(1) ?? 0)) }
        return RegistrationNumbering(pattern: pattern, years: years)
    }

    /// Records that `id`, registered at `now`, starts a year, if it does (in the registration's
    /// transaction). Returns the year it starts.
    static func recordIfFirst(_ id: CaseID, at now: Timestamp, zone: ConferenceTimeZone, _ connection: SQLiteConnection) throws -> RegistrationNumbering.YearStart? {
        let last = try connection.query("SELECT MAX(year) FROM registration_years").first?.int(0).map(Int.init)
        let year = max(zone.localDate(of: now.date).year, last ?? Int.min)
        guard year > (last ?? Int.min) else { return nil }
        try connection.run("INSERT INTO registration_years (year, first_case) VALUES (?, ?)", [.integer(Int64(year)), .integer(id.rawValue)])
        return RegistrationNumbering.YearStart(year: year, firstCase: id)
    }

    /// Fills `registration_years` from the cases, in the conference's time zone, if a migration
    /// asked for it (`registration_years_rebuild`). Runs once, when the store opens.
    static func rebuildIfAsked(_ connection: SQLiteConnection, zone: ConferenceTimeZone) throws {
        guard try !connection.query("SELECT 1 FROM hub_meta WHERE key = 'registration_years_rebuild'").isEmpty else { return }
        try connection.transaction {
            try connection.execute("DELETE FROM registration_years")
            var numbering = RegistrationNumbering()
            for row in try connection.query("SELECT id, registered_at FROM cases ORDER BY id") {
                let registered = Timestamp(milliseconds: row.int(1) ?? 0)
                let id = CaseID(row.int(0) ?? 0)
                let year = numbering.year(ofNextCaseAt: zone.localDate(of: registered.date).year)
                if numbering.record(id, in: year) {
                    try connection.run("INSERT INTO registration_years (year, first_case) VALUES (?, ?)", [.integer(Int64(year)), .integer(id.rawValue)])
                }
            }
            try connection.run("DELETE FROM hub_meta WHERE key = 'registration_years_rebuild'")
        }
    }
}

extension CaseStore {
    /// The conference's registration numbers as they stand (the pattern and the years so far).
    public var numbering: RegistrationNumbering { numberingBox.value }

    /// The registration number of case `id`, as people write it; `case-N` for an id no case has.
    public func number(of id: CaseID) -> String { numbering.number(of: id) ?? id.description }

    /// Sets how registration numbers are written. Only before the first case is registered: a
    /// number people have written down never changes.
    public func setNumberPattern(_ pattern: NumberPattern) async throws {
        try await write { connection in
            guard try connection.query("SELECT 1 FROM cases LIMIT 1").isEmpty else {
                throw CaseRefusal(.invalidState, "cases are registered already: their numbers are not changed")
            }
            try connection.run(
                "INSERT INTO hub_meta (key, value) VALUES ('registration_pattern', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [.text(pattern.description)])
        }
        numberingBox.update { $0.pattern = pattern }
    }
}

/// A value read by many threads and replaced now and then.
final class LockedBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value { lock.withLock { stored } }

    func update(_ change: (inout Value) -> Void) { lock.withLock { change(&stored) } }
}
