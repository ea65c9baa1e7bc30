// case.register: a coordinator registers a case; its case room opens with it.
import CaseCore

struct CaseRegister: Command {
    static let name = "case.register"
    static var access: CommandAccess { .caseWork }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Registration {
        try request.decode(Registration.self)
    }

    static func run(_ registration: Registration, in context: CommandContext) async throws -> CaseWritten {
        let event = try await context.store.register(registration, by: try context.actor, open: true)
        return try await CaseWritten(event.caseID, sequence: event.sequence, store: context.store)
    }
}

/// The reply to a change of a case: the case, the sequence number of the event recorded, and
/// the status after it.
struct CaseWritten: Encodable, Sendable {
    let `case`: String
    let seq: Int64
    let status: String

    init(_ caseID: CaseID, sequence: Int64, store: CaseStore) async throws {
        `case` = RoomID.case(caseID)
        seq = sequence
        status = try await store.caseState(caseID)?.status.rawValue ?? ""
    }
}
