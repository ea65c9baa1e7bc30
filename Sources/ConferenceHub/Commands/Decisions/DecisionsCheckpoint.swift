// decisions.checkpoint: the decision log's latest signed checkpoint, and the key that signs it.
import CaseCore
import Foundation

struct DecisionsCheckpoint: Command {
    typealias Parameters = NoParameters
    static let name = "decisions.checkpoint"
    static let effect = CommandEffect.read

    struct Output: Encodable, Sendable {
        let origin: String
        let size: Int
        /// The Merkle root, base64.
        let root: String
        /// The Ed25519 signature of `note`, base64.
        let signature: String
        let note: String
        let at: Int64
        /// The signing key, base64 (absent when the hub signs nothing).
        let publicKey: String?
    }

    static func run(_ parameters: NoParameters, in context: CommandContext) async throws -> Output {
        let store = context.store
        guard let checkpoint = try await store.checkpoint() else { throw HubFailure(.notFound, "the decision log is empty") }
        return Output(origin: checkpoint.origin, size: checkpoint.size, root: Base64.string(checkpoint.root),
                      signature: Base64.string(checkpoint.signature), note: checkpoint.note, at: checkpoint.at.milliseconds,
                      publicKey: store.rooming.decisionPublicKey.map(Base64.string))
    }
}

/// Hashes, keys and signatures on the wire: standard base64.
enum Base64 {
    static func string(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
}

extension CommandContext {
    /// The decision log's size now; `not_found` while it is empty.
    func decisionLogSize() async throws -> Int {
        guard let latest = try await store.checkpoint() else { throw HubFailure(.notFound, "the decision log is empty") }
        return latest.size
    }
}
