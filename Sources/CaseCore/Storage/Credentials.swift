// Credentials: how people prove who they are — a certificate issued by the conference CA (known by
// its SHA-256 fingerprint), a bearer token (random, shown once, stored only as a SHA-256 hash), or
// a browser session (a token issued at sign-in that expires). All can be revoked.
import Foundation

/// A stored credential (never the secret itself).
public struct Credential: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case certificate
        case token
        /// Issued to a browser when its person signs in; ends at `expiresAt`.
        case session
    }

    public let id: Int64
    public let person: PersonID
    public let kind: Kind
    public let label: String
    public let createdAt: Timestamp
    public let revokedAt: Timestamp?
    /// When a session ends by itself (nil for certificates and tokens).
    public let expiresAt: Timestamp?

    /// Whether it can still authenticate at `now`.
    public func isActive(at now: Timestamp) -> Bool {
        revokedAt == nil && (expiresAt.map { $0 > now } ?? true)
    }
}

/// Who a credential belongs to, resolved for a connection.
public struct Identity: Sendable, Equatable {
    public let person: Person
    public let credentialID: Int64
    /// What kind of credential it is.
    public let kind: Credential.Kind

    public var actor: Actor { person.actor }
}

extension CaseStore {
    /// A new bearer token: 32 random bytes, base64url, prefixed `chub_`.
    public static func makeToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return "chub_" + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The stored digest of a token.
    public static func tokenDigest(_ token: String) -> [UInt8] { EventChain.sha256(Array(token.utf8)) }

    /// The stored digest of a certificate: its fingerprint's bytes.
    public static func certificateDigest(fingerprintHex: String) -> [UInt8]? {
        let hex = Array(fingerprintHex.lowercased().utf8)
        guard hex.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var index = 0
        while index < 64 {
            guard let high = hexValue(hex[index]), let low = hexValue(hex[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
        default: return nil
        }
    }

    /// Records a credential for `person`; returns its id. The person must exist.
    /// - Parameter expiresAt: when it ends by itself (sessions).
    public func addCredential(
        person: PersonID, kind: Credential.Kind, digest: [UInt8], label: String, at now: Timestamp, expiresAt: Timestamp? = nil
    ) async throws -> Int64 {
        guard digest.count == 32 else { throw CaseRefusal(.invalidArgument, "a credential digest is 32 bytes") }
        return try await write { connection in
            guard try !connection.query("SELECT 1 FROM people WHERE id = ?", [.text(person.rawValue)]).isEmpty else {
                throw CaseRefusal(.invalidArgument, "no person `\(person.rawValue)`")
            }
            try connection.run(
                "INSERT INTO credentials (person_id, kind, digest, label, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                [.text(person.rawValue), .text(kind.rawValue), .blob(digest), .text(String(label.prefix(200))), .integer(now.milliseconds),
                 expiresAt.map { .integer($0.milliseconds) } ?? .null])
            return connection.lastInsertRowID
        }
    }

    /// Revokes a credential; returns false when it does not exist or was already revoked.
    public func revokeCredential(id: Int64, at now: Timestamp) async throws -> Bool {
        try await write { connection in
            try connection.run("UPDATE credentials SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [.integer(now.milliseconds), .integer(id)])
            return connection.changes == 1
        }
    }

    /// Credentials, optionally of one person.
    public func credentials(of person: PersonID? = nil) async throws -> [Credential] {
        try await read { connection in
            try connection.query(
                "SELECT id, person_id, kind, label, created_at, revoked_at, expires_at FROM credentials \(person == nil ? "" : "WHERE person_id = ?") ORDER BY id",
                person.map { [.text($0.rawValue)] } ?? []
            ).map { row in
                Credential(id: row.int(0) ?? 0, person: PersonID(row.string(1) ?? ""), kind: Credential.Kind(rawValue: row.string(2) ?? "") ?? .token,
                           label: row.string(3) ?? "", createdAt: Timestamp(milliseconds: row.int(4) ?? 0),
                           revokedAt: row.int(5).map { Timestamp(milliseconds: $0) }, expiresAt: row.int(6).map { Timestamp(milliseconds: $0) })
            }
        }
    }

    /// The person a credential digest belongs to, unless it is unknown, revoked or expired.
    public func identity(forDigest digest: [UInt8], kind: Credential.Kind) async throws -> Identity? {
        try await identity(forDigest: digest, kinds: [kind])
    }

    /// The person a credential digest of one of `kinds` belongs to, unless it is unknown, revoked
    /// or expired.
    public func identity(forDigest digest: [UInt8], kinds: Set<Credential.Kind>) async throws -> Identity? {
        let now = clock.now()
        return try await read { connection in
            guard let row = try connection.query(
                """
                SELECT c.id, p.id, p.name, p.unit_id, p.roles, c.kind FROM credentials c JOIN people p ON p.id = c.person_id
                WHERE c.digest = ? AND c.revoked_at IS NULL AND (c.expires_at IS NULL OR c.expires_at > ?)
                """, [.blob(digest), .integer(now.milliseconds)]).first,
                let kind = row.string(5).flatMap(Credential.Kind.init(rawValue:)), kinds.contains(kind)
            else { return nil }
            let person = CaseStore.person(SQLiteRow(values: Array(row.values.dropFirst().prefix(4))))
            return Identity(person: person, credentialID: row.int(0) ?? 0, kind: kind)
        }
    }

    /// Credentials revoked, or sessions expired, after `since` and by now (for closing their
    /// connections), with when they ended.
    public func credentialsRevoked(since: Timestamp) async throws -> [(id: Int64, revokedAt: Timestamp)] {
        let now = clock.now()
        return try await read { connection in
            try connection.query(
                """
                SELECT id, CASE WHEN revoked_at IS NOT NULL AND (expires_at IS NULL OR revoked_at < expires_at)
                    THEN revoked_at ELSE expires_at END AS ended
                FROM credentials WHERE revoked_at > ? OR (expires_at > ? AND expires_at <= ?) ORDER BY ended
                """,
                [.integer(since.milliseconds), .integer(since.milliseconds), .integer(now.milliseconds)])
                .filter { ($0.int(1) ?? 0) > since.milliseconds }
                .map { (id: $0.int(0) ?? 0, revokedAt: Timestamp(milliseconds: $0.int(1) ?? 0)) }
        }
    }
}
