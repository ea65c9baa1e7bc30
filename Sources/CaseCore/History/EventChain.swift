// EventChain: per-case hash chaining of events. Each event stores SHA-256(previous hash || its
// canonical bytes); the first event of a case chains from 32 zero bytes. Any edited, removed or
// reordered event breaks the chain at a place `verify` names.
import COpenSSL
import Foundation

public enum EventChain {
    /// The `prev_hash` of a case's first event.
    public static let genesis = [UInt8](repeating: 0, count: 32)

    /// SHA-256 of `bytes` (through OpenSSL's EVP interface).
    public static func sha256<Bytes: ContiguousBytes>(_ bytes: Bytes) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        bytes.withUnsafeBytes { raw in
            _ = EVP_Digest(raw.baseAddress, raw.count, &digest, &length, EVP_sha256(), nil)
        }
        return Array(digest.prefix(Int(length)))
    }

    /// The hash of an event whose canonical bytes are `body`, chained after `previous`.
    public static func link(previous: [UInt8], body: [UInt8]) -> [UInt8] {
        sha256(previous + body)
    }

    /// The canonical bytes of an event: JSON with sorted keys and no insignificant whitespace.
    public static func canonicalBytes(of event: CaseEvent) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(event))
    }

    /// A place where the stored history is not what was written.
    public struct Violation: Sendable, Equatable, CustomStringConvertible {
        public enum Problem: String, Sendable, Equatable {
            /// The event's bytes do not match its hash: it was edited.
            case edited
            /// An event is missing before this one (or at the end, per the projection).
            case missing
            /// Events are out of order or their links do not connect.
            case reordered
            /// The stored bytes are not a readable event for this place.
            case unreadable
        }
        public let caseID: CaseID
        public let sequence: Int64
        public let problem: Problem

        public var description: String { "\(caseID) event \(sequence): \(problem.rawValue)" }
    }

    /// One stored event row, as verification reads it.
    public struct StoredRow: Sendable {
        public let sequence: Int64
        public let body: [UInt8]
        public let previousHash: [UInt8]
        public let hash: [UInt8]

        public init(sequence: Int64, body: [UInt8], previousHash: [UInt8], hash: [UInt8]) {
            self.sequence = sequence
            self.body = body
            self.previousHash = previousHash
            self.hash = hash
        }
    }

    /// Checks one case's rows (in stored order) against the chain; `expectedLast` is the
    /// projection's last sequence and hash, which catches a removed last event.
    public static func verify(caseID: CaseID, rows: [StoredRow], expectedLast: (sequence: Int64, hash: [UInt8])?) -> Violation? {
        var previous = genesis
        var expectedSequence: Int64 = 1
        let decoder = JSONDecoder()
        for row in rows {
            if row.sequence != expectedSequence {
                return Violation(caseID: caseID, sequence: expectedSequence, problem: row.sequence > expectedSequence ? .missing : .reordered)
            }
            if link(previous: row.previousHash, body: row.body) != row.hash {
                return Violation(caseID: caseID, sequence: row.sequence, problem: .edited)
            }
            if row.previousHash != previous {
                return Violation(caseID: caseID, sequence: row.sequence, problem: .reordered)
            }
            guard let event = try? decoder.decode(CaseEvent.self, from: Data(row.body)),
                  event.caseID == caseID, event.sequence == row.sequence
            else {
                return Violation(caseID: caseID, sequence: row.sequence, problem: .reordered)
            }
            previous = row.hash
            expectedSequence += 1
        }
        if let expectedLast {
            if expectedLast.sequence >= expectedSequence {
                return Violation(caseID: caseID, sequence: expectedSequence, problem: .missing)
            }
            if expectedLast.sequence == expectedSequence - 1, expectedLast.hash != previous {
                return Violation(caseID: caseID, sequence: expectedLast.sequence, problem: .edited)
            }
        }
        return nil
    }
}
