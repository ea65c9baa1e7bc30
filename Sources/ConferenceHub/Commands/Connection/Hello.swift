// hello: the server, the protocol, the TLS session and (once authenticated) who the connection is.
import CaseCore
import Messaging

struct Hello: Command {
    typealias Parameters = NoParameters
    static let name = "hello"
    static let effect = CommandEffect.read
    static var access: CommandAccess { .anyone }

    struct Output: Encodable, Sendable {
        struct TLS: Encodable, Sendable {
            let version: String
            let cipher: String
        }

        struct Certificate: Encodable, Sendable {
            let subject: String
            let sha256: String
            let expires: String?
            let daysLeft: Int?
        }

        let server = "conference-hub"
        let version = HubProtocol.serverVersion
        let `protocol` = ConferenceProtocol.subprotocol
        let tls: TLS?
        let certificate: Certificate?
        let identity: IdentityView?
    }

    static func run(_ parameters: NoParameters, in context: CommandContext) async throws -> Output {
        let tls = context.connection.tls
        let certificate = tls?.peerCertificate.map { peer in
            Output.Certificate(subject: peer.subject, sha256: peer.fingerprintSHA256, expires: peer.notAfter.map(CertificateDetails.day),
                               daysLeft: peer.notAfter.map { CertificateDetails.daysLeft(until: $0) })
        }
        return Output(tls: tls.map { Output.TLS(version: $0.protocolVersion, cipher: $0.cipherSuite) }, certificate: certificate,
                      identity: context.identity.map(IdentityView.init))
    }
}

/// Who a connection is: the `auth` reply and `hello`'s `identity`.
struct IdentityView: Encodable, Sendable {
    let person: String
    let name: String
    let unit: String
    let roles: [String]

    init(_ identity: Identity) {
        self.init(person: identity.person)
    }

    init(person: Person) {
        self.person = person.id.rawValue
        name = person.name
        unit = person.unit.rawValue
        roles = person.roles.map(\.rawValue).sorted()
    }
}
