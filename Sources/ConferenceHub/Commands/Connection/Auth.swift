// auth: authenticates the connection with a bearer token or a browser session (a client
// certificate authenticates it before any request).
import CaseCore
import Messaging

struct Auth: Command {
    static let name = "auth"
    static let effect = CommandEffect.connection
    static var access: CommandAccess { .anyone }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> String {
        // Connection set-up: when the request holds nothing but id, type and this string, it is
        // taken from the parsed envelope (the typed decoder would read the same).
        if request.request.fields.count == 3, let token = request.request.fields["token"]?.string {
            return try Check.text(token, "token", max: ParameterLimits.maxToken)
        }
        struct Fields: Decodable { let token: String }
        return try Check.text(request.decode(Fields.self).token, "token", max: ParameterLimits.maxToken)
    }

    static func run(_ token: String, in context: CommandContext) async throws -> IdentityView {
        // One identity per connection. A client certificate authenticates the connection before
        // any request; a token or session sent after it names who acts (a browser on a PC whose
        // certificate store holds another person's certificate), as long as the connection has
        // joined no room as the certificate's owner. A second token or session is refused.
        if let identity = context.identity, identity.kind != .certificate {
            throw HubFailure(.invalidState, "already authenticated as \(identity.person.id)")
        }
        guard let found = try await context.store.identity(forDigest: CaseStore.tokenDigest(token), kinds: [.token, .session]) else {
            context.connection.logger.notice("authentication failed")
            _ = await context.connection.apply(.authenticationFailed)
            throw HubFailure(.unauthorized, "unknown, revoked or expired token or session")
        }
        if let current = context.identity, current.person.id != found.person.id, !context.connection.joined.isEmpty {
            throw HubFailure(.invalidState,
                             "this connection acts as \(current.person.id), whose client certificate it presented, and has joined rooms; open a new connection to act as \(found.person.id)")
        }
        guard await context.connection.apply(.authenticated(found)) else {
            throw HubFailure(.limitExceeded, "\(found.person.id) already has \(context.hub.configuration.maxConnectionsPerPerson) connections")
        }
        return IdentityView(found)
    }
}
