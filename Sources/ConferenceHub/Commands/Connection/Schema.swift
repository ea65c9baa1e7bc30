// schema: the protocol's vocabulary for this deployment, generated from CaseCore and the command
// table — every change kind with its fields, types and limits; the statuses and which are open;
// every enum's options; the input limits; the running deployment's time limits; the error codes;
// what each command changes; the units that act as the conference office. The console reads it
// once after signing in and builds its forms, filters and checks from it.
import CaseCore
import Messaging

struct Schema: Command {
    typealias Parameters = NoParameters
    static let name = "schema"
    static let effect = CommandEffect.read

    struct ChangeKind: Encodable, Sendable {
        let type: String
        /// True when only the hub records it (no person may send it).
        let recordedByHub: Bool
        let fields: [SchemaField]
    }

    struct CommandEntry: Encodable, Sendable {
        let name: String
        let effect: CommandEffect
    }

    struct Output: Encodable, Sendable {
        let version = HubProtocol.serverVersion
        let caseChanges: [ChangeKind]
        let meetingChanges: [ChangeKind]
        let statuses: [Vocabulary.StatusEntry]
        let enums: [String: [String]]
        let inputLimits: [String: Int]
        let protocolLimits: [String: Int]
        let policyLimits: [String: Int]
        let timeZone: String
        let errorCodes: [String]
        let commands: [CommandEntry]
        let officeUnits: [String]
        /// The conference's own name (`init --conference`); absent when none was given.
        let conference: String?
    }

    static func run(_ parameters: NoParameters, in context: CommandContext) async throws -> Output {
        try await output(store: context.store, configuration: context.hub.configuration)
    }

    /// The schema of the hub whose store and limits these are (also served as `GET /v1/schema`).
    static func output(store: CaseStore, configuration: HubConfiguration) async throws -> Output {
        let policy = store.policy
        return Output(
            caseChanges: CaseChangeKind.allCases.map {
                ChangeKind(type: $0.rawValue, recordedByHub: CaseAccess.recordedByTheHub.contains($0.rawValue), fields: $0.fields(policy.limits))
            },
            meetingChanges: MeetingChangeKind.allCases.map {
                ChangeKind(type: $0.rawValue, recordedByHub: MeetingAccess.recordedByTheHub.contains($0.rawValue), fields: $0.fields)
            },
            statuses: Vocabulary.statuses,
            enums: Vocabulary.enums,
            inputLimits: Vocabulary.inputLimits,
            protocolLimits: [
                "message_text_length": configuration.maxTextLength,
                "page_size": ParameterLimits.maxPage,
                "default_page_size": ParameterLimits.defaultPage,
                "request_id_length": Request.maxIDLength,
                "rooms_per_connection": configuration.maxRoomsPerConnection,
                "connections_per_person": configuration.maxConnectionsPerPerson,
                "idempotency_key_length": ParameterLimits.maxKey,
                "case_search_length": CaseFilter.maxSearchLength,
            ],
            policyLimits: Vocabulary.policyLimits(policy.limits),
            timeZone: policy.timeZone.timeZone.identifier,
            errorCodes: ErrorCode.allCases.map(\.rawValue),
            commands: CommandTable.all.map { CommandEntry(name: $0.name, effect: $0.effect) },
            officeUnits: try await store.officeUnits().map(\.rawValue),
            conference: try await store.conferenceName())
    }
}
