// Passwords: a person's password as an scrypt hash (PasswordHash), set by an administrator as a
// one-time password (`must_change`) and replaced by the person at first sign-in.
import Foundation

/// A person's stored password.
public struct StoredPassword: Sendable, Equatable {
    public let hash: PasswordHash
    /// Set by an administrator: it signs in only to choose a new one.
    public let mustChange: Bool
    public let setAt: Timestamp
}

extension CaseStore {
    /// Stores `hash` as `person`'s password, replacing any. The person must exist.
    public func setPassword(person: PersonID, hash: PasswordHash, mustChange: Bool, at now: Timestamp) async throws {
        try await write { connection in
            guard try !connection.query("SELECT 1 FROM people WHERE id = ?", [.text(person.rawValue)]).isEmpty else {
                throw CaseRefusal(.invalidArgument, "no person `\(person.rawValue)`")
            }
            try connection.run(
                """
                INSERT INTO passwords (person_id, hash, salt, cost_log2, block_size, parallelism, must_change, set_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (person_id) DO UPDATE SET hash = excluded.hash, salt = excluded.salt, cost_log2 = excluded.cost_log2,
                    block_size = excluded.block_size, parallelism = excluded.parallelism, must_change = excluded.must_change,
                    set_at = excluded.set_at
                """,
                [.text(person.rawValue), .blob(hash.hash), .blob(hash.salt), .integer(Int64(hash.parameters.costLog2)),
                 .integer(Int64(hash.parameters.blockSize)), .integer(Int64(hash.parameters.parallelism)), .integer(mustChange ? 1 : 0),
                 .integer(now.milliseconds)])
        }
    }

    /// `person`'s password, if one is set.
    public func password(of person: PersonID) async throws -> StoredPassword? {
        try await read { connection in
            guard let row = try connection.query(
                "SELECT hash, salt, cost_log2, block_size, parallelism, must_change, set_at FROM passwords WHERE person_id = ?",
                [.text(person.rawValue)]).first
            else { return nil }
            let parameters = ScryptParameters(
                costLog2: Int(row.int(2) ?? 0), blockSize: Int(row.int(3) ?? 0), parallelism: Int(row.int(4) ?? 0))
            return StoredPassword(
                hash: PasswordHash(hash: row.blob(0) ?? [], salt: row.blob(1) ?? [], parameters: parameters),
                mustChange: row.int(5) == 1, setAt: Timestamp(milliseconds: row.int(6) ?? 0))
        }
    }

    /// Removes `person`'s password; returns whether there was one.
    public func removePassword(of person: PersonID) async throws -> Bool {
        try await write { connection in
            try connection.run("DELETE FROM passwords WHERE person_id = ?", [.text(person.rawValue)])
            return connection.changes == 1
        }
    }
}
