// CommandTable: every command of the protocol, once. Dispatch, `unknown_command` and the
// documentation test (docs/protocol.md documents exactly these) all read this list.

import Messaging
import NIOCore

enum CommandTable {
    /// Every command, in the order docs/protocol.md presents them.
    static let all: [any Command.Type] = [
        Hello.self, Auth.self, Schema.self,
        Rooms.self, Join.self, Leave.self, Post.self, History.self, Who.self,
        Units.self, People.self,
        CaseRegister.self, CaseChangeCommand.self, CaseGet.self, CaseHistory.self, CasePetitioner.self, Cases.self, CaseOverview.self, Inbox.self, Figures.self,
        NegotiationAnswerCommand.self, NegotiationGet.self, NegotiationFiguresCommand.self, Supervision.self, Deadlines.self,
        MeetingConvene.self, MeetingChangeCommand.self, MeetingGet.self, Meetings.self, MeetingMinutes.self,
        DecisionsCheckpoint.self, DecisionsEntries.self, DecisionsInclusion.self, DecisionsConsistency.self,
    ]

    /// The commands by wire name.
    static let byName: [String: any Command.Type] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// Every wire name.
    static var names: [String] { all.map { $0.name } }
}

extension CommandTable {
    /// The command a request names with its parameters read and checked, ready to start;
    /// `unknown_command` when the table has no such command.
    static func prepare(_ request: Request, maxTextLength: Int) throws(HubFailure) -> PreparedCommand {
        guard let command = byName[request.type] else {
            throw HubFailure(.unknownCommand, "unknown command `\(request.type.prefix(64))`")
        }
        func prepare<C: Command>(_ command: C.Type) throws(HubFailure) -> PreparedCommand {
            PreparedCommand(command, id: request.id, parameters: try C.parameters(CommandRequest(request: request, maxTextLength: maxTextLength)))
        }
        return try prepare(command)
    }
}

/// A request read into its command and parameters: who may send it, and how to run it to the
/// bytes of its reply.
struct PreparedCommand {
    let name: String
    let access: CommandAccess
    /// Requests of the rate limit it counts as (the message itself took one).
    let cost: Int
    /// The checked parameters (what the command will run with).
    let parameters: any Sendable
    /// Runs the handler; completes with the reply's bytes (nil when the command wrote its reply
    /// itself) or with what it threw, on any thread.
    let start: (CommandContext, _ completion: @escaping @Sendable (Result<ByteBuffer?, Error>) -> Void) -> Void

    init<C: Command>(_ command: C.Type, id: String, parameters: C.Parameters) {
        name = C.name
        access = C.access
        cost = C.cost(parameters)
        self.parameters = parameters
        start = { context, completion in
            C.start(parameters, in: context) { result in
                completion(result.map { C.repliesInOrder ? nil : C.reply(id: id, result: $0) })
            }
        }
    }
}
