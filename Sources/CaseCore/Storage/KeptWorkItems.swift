// KeptWorkItems: what each unit and the conference office owe (我的待办), kept in `work_items` in
// the same transaction as the change that creates or settles it. `inbox`, its count and the
// supervision list read one index instead of every open case. What is owed is decided in one
// place, `PetitionCase.openWorkItems` (pure); this file stores and reads it, and `verify` checks
// the kept rows against it.
import Foundation

/// A kept work item with what a list shows of its case.
public struct KeptWorkItem: Sendable, Equatable {
    public let item: WorkItem
    public let title: String
    public let status: CaseStatus
}

/// One page of what a person owes: all of it counted, a page of it listed.
public struct WorkItemPage: Sendable, Equatable {
    /// Every item the person owes (not only this page's).
    public let count: Int
    public let items: [KeptWorkItem]
}

enum WorkItemRows {
    /// `unit_id` of what the conference office owes.
    static let office = ""
    /// `due_key` of an item no limit runs for (after every dated item).
    static let undated = Int64.max

    /// Writes the rows of `state` in place of its old ones, if what it owes (or what a list shows
    /// of it) changed since `previous`.
    static func update(_ state: PetitionCase, previous: PetitionCase?, connection: SQLiteConnection, encoder: StreamingJSONEncoder) throws {
        let items = state.openWorkItems
        if let previous, previous.status == state.status, previous.title == state.title, previous.openWorkItems == items { return }
        try replace(state.id, items, title: state.title, status: state.status, connection: connection, encoder: encoder)
    }

    static func replace(
        _ id: CaseID, _ items: [WorkItem], title: String, status: CaseStatus, connection: SQLiteConnection, encoder: StreamingJSONEncoder
    ) throws {
        try connection.run("DELETE FROM work_items WHERE case_id = ?", [.integer(id.rawValue)])
        for (ord, item) in items.enumerated() {
            try connection.run(
                """
                INSERT INTO work_items (case_id, ord, unit_id, role, kind, due_key, title, status, item)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.integer(id.rawValue), .integer(Int64(ord)), .text(item.unit?.rawValue ?? office),
                 item.role.map { .text($0.rawValue) } ?? .null, .text(item.kind.rawValue),
                 .integer(item.dueAt?.milliseconds ?? undated), .text(title), .text(status.rawValue),
                 .text(String(decoding: try encoder.encode(item), as: UTF8.self))])
        }
    }

    /// Builds every case's rows from its state, if a migration asked for it (`work_items_rebuild`).
    /// Runs once, when the store opens, in one transaction.
    static func rebuildIfAsked(_ connection: SQLiteConnection) throws {
        guard try !connection.query("SELECT 1 FROM hub_meta WHERE key = 'work_items_rebuild'").isEmpty else { return }
        try connection.transaction {
            let decoder = JSONDecoder(), encoder = StreamingJSONEncoder()
            try connection.execute("DELETE FROM work_items")
            var after: Int64 = 0
            while true {
                let rows = try connection.query(
                    "SELECT id, state FROM cases WHERE id > ? AND status NOT IN ('closed', 'routed_out') ORDER BY id LIMIT 1000",
                    [.integer(after)])
                guard let last = rows.last else { break }
                for row in rows {
                    let state = try decoder.decode(PetitionCase.self, from: Data((row.string(1) ?? "").utf8))
                    try replace(state.id, state.openWorkItems, title: state.title, status: state.status, connection: connection, encoder: encoder)
                }
                after = last.int(0) ?? after
            }
            try connection.run("DELETE FROM hub_meta WHERE key = 'work_items_rebuild'")
        }
    }

    /// The items `actor` owes (``WorkItem/isFor(_:)`` as a query), as ranges of the
    /// `work_items_by_unit` index: one per unit whose items they are (their own unit's, and the
    /// conference office's for a coordinator), each with the roles it takes. The ranges do not
    /// overlap (a unit id is never '').
    static func ranges(for actor: Actor) -> [(sql: String, values: [SQLiteValue])] {
        let roles = actor.roles.map(\.rawValue).sorted()
        let anyRole = roles.isEmpty ? "0" : "role IN (\(roles.map { _ in "?" }.joined(separator: ", ")))"
        let roleAllowed = actor.roles.contains(.officer) || actor.roles.contains(.leader) ? "(role IS NULL OR \(anyRole))" : anyRole
        var ranges: [(sql: String, values: [SQLiteValue])] = [("unit_id = ? AND \(roleAllowed)", [.text(actor.unit.rawValue)] + roles.map { .text($0) })]
        if actor.roles.contains(.coordinator) { ranges.insert(("unit_id = ?", [.text(office)]), at: 0) }
        return ranges
    }

    /// Where an item stands in `inbox`'s order, and its row.
    struct Place: Comparable {
        let due: Int64, caseID: Int64, kind: String, ord: Int64
        static func < (a: Place, b: Place) -> Bool { (a.due, a.caseID, a.kind, a.ord) < (b.due, b.caseID, b.kind, b.ord) }
    }

    static func kept(_ row: SQLiteRow, decoder: JSONDecoder) throws -> KeptWorkItem {
        KeptWorkItem(
            item: try decoder.decode(WorkItem.self, from: Data((row.string(2) ?? "").utf8)), title: row.string(0) ?? "",
            status: CaseStatus(rawValue: row.string(1) ?? "") ?? .registered)
    }
}

extension CaseStore {
    /// What `actor` owes on the open cases, most urgent first (soonest due, then what has no
    /// limit; by case within each), `limit` of them after the first `offset`, with the count of all.
    public func workItems(for actor: Actor, offset: Int = 0, limit: Int = 100) async throws -> WorkItemPage {
        let ranges = WorkItemRows.ranges(for: actor)
        let offset = max(0, offset), limit = max(0, limit)
        return try await read { connection in
            var count: Int64 = 0
            for (condition, values) in ranges {
                count += try connection.query("SELECT COUNT(*) FROM work_items WHERE \(condition)", values).first?.int(0) ?? 0
            }
            // Each range is read in order from the index and the ranges are merged as they are
            // read, up to the end of the page (SQLite would sort the union of the ranges first).
            let heads = try ranges.map { condition, values in
                let statement = try connection.statement(
                    "SELECT due_key, case_id, kind, ord FROM work_items WHERE \(condition) ORDER BY due_key, case_id, kind, ord")
                try statement.bind(values)
                return statement
            }
            defer { for statement in heads { statement.reset() } }
            func place(_ row: SQLiteRow?) -> WorkItemRows.Place? {
                row.map { WorkItemRows.Place(due: $0.int(0) ?? 0, caseID: $0.int(1) ?? 0, kind: $0.string(2) ?? "", ord: $0.int(3) ?? 0) }
            }
            var next = try heads.map { place(try $0.step()) }
            var page: [WorkItemRows.Place] = []
            var skipped = 0
            while page.count < limit, let first = next.indices.filter({ next[$0] != nil }).min(by: { next[$0]! < next[$1]! }) {
                if skipped < offset { skipped += 1 } else { page.append(next[first]!) }
                next[first] = place(try heads[first].step())
            }
            let decoder = JSONDecoder()
            let items = try page.compactMap { place in
                try connection.query("SELECT title, status, item FROM work_items WHERE case_id = ? AND ord = ?",
                                     [.integer(place.caseID), .integer(place.ord)]).first.map { try WorkItemRows.kept($0, decoder: decoder) }
            }
            return WorkItemPage(count: Int(count), items: items)
        }
    }

    /// Every kept item, by case and in each case's order (tests and `verify`).
    public func keptWorkItems() async throws -> [CaseID: [WorkItem]] {
        try await read { connection in
            let decoder = JSONDecoder()
            var kept: [CaseID: [WorkItem]] = [:]
            let statement = try connection.statement("SELECT case_id, item FROM work_items ORDER BY case_id, ord")
            while let row = try statement.step() {
                kept[CaseID(row.int(0) ?? 0), default: []].append(try decoder.decode(WorkItem.self, from: Data((row.string(1) ?? "").utf8)))
            }
            statement.reset()
            return kept
        }
    }

    /// Cases whose kept work items, or whose title and next due time in the case list's table,
    /// differ from what their state says (`verify`).
    public func workItemMismatches() async throws -> [CaseID] {
        let kept = try await keptWorkItems()
        return try await read { connection in
            let decoder = JSONDecoder()
            var mismatches: [CaseID] = []
            var seen = Set<CaseID>()
            let statement = try connection.statement(
                "SELECT c.id, c.state, t.title, t.next_due_at FROM cases c LEFT JOIN case_titles t ON t.id = c.id ORDER BY c.id")
            while let row = try statement.step() {
                let id = CaseID(row.int(0) ?? 0)
                seen.insert(id)
                let state = try? decoder.decode(PetitionCase.self, from: Data((row.string(1) ?? "").utf8))
                if (state?.openWorkItems ?? []) != (kept[id] ?? []) || row.string(2) != state?.title
                    || row.int(3) != state?.nextObligationDue?.milliseconds
                {
                    mismatches.append(id)
                }
            }
            statement.reset()
            mismatches += kept.keys.filter { !seen.contains($0) }.sorted { $0.rawValue < $1.rawValue }
            return mismatches
        }
    }
}
