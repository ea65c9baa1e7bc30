// SessionEndpoint: `POST /v1/session` signs a person in from a browser and `DELETE /v1/session`
// signs them out (docs/protocol.md, "Signing in from a browser"). A request from a page of a
// foreign origin is refused before anything is read; the body is JSON, bounded by the HTTP layer.
import CaseCore
import Foundation
import Messaging
import NIOCore
import NIOHTTP1

struct SessionEndpoint: Sendable {
    static let path = "/v1/session"

    let service: SignInService
    let origins: OriginPolicy

    /// The answer to a request for ``path``; nil for any other path.
    func respond(to request: HTTPRequest) async -> HTTPResponse? {
        guard request.path == Self.path else { return nil }
        guard request.headers[canonicalForm: "Origin"].count <= 1, origins.allows(origin: request.origin, localPort: request.localPort) else {
            return Self.error(.forbidden, "forbidden_origin", "this origin may not sign in to the hub")
        }
        switch request.method {
        case .POST:
            return await signIn(request)
        case .DELETE:
            return await signOut(request)
        default:
            return Self.error(.methodNotAllowed, "method_not_allowed", "use POST to sign in and DELETE to sign out",
                              headers: [("Allow", "POST, DELETE")])
        }
    }

    struct SignInBody: Decodable {
        let method: String?
        let person: String?
        let password: String?
        let newPassword: String?

        enum CodingKeys: String, CodingKey {
            case method, person, password
            case newPassword = "new_password"
        }
    }

    private func signIn(_ request: HTTPRequest) async -> HTTPResponse {
        let contentType = request.headers.first(name: "Content-Type")?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") else {
            return Self.error(.unsupportedMediaType, "bad_request", "send the sign-in as application/json")
        }
        guard let body = try? JSONDecoder().decode(SignInBody.self, from: Data(request.body.readableBytesView)) else {
            return Self.error(.badRequest, "bad_request", "the body must be a JSON object: {\"person\": …, \"password\": …} or {\"method\": \"certificate\"}")
        }
        let outcome: SignInOutcome
        switch body.method ?? "password" {
        case "certificate":
            outcome = await service.signIn(certificate: request.certificate, address: request.peerAddress)
        case "password":
            guard let person = body.person, let password = body.password else {
                return Self.error(.badRequest, "bad_request", "a password sign-in needs `person` and `password`")
            }
            // Checked before any lookup (a NUL would end the id in the store's C strings).
            if let problem = SignInIdentifier.problem(with: person) {
                return Self.error(.badRequest, "bad_request", problem)
            }
            guard password.utf8.count <= PasswordRules.maximumBytes, (body.newPassword?.utf8.count ?? 0) <= PasswordRules.maximumBytes else {
                return Self.error(.badRequest, "bad_request", "a password is at most \(PasswordRules.maximumBytes) bytes")
            }
            outcome = await service.signIn(person: person, password: password, newPassword: body.newPassword, address: request.peerAddress)
        default:
            return Self.error(.badRequest, "bad_request", "`method` is `password` or `certificate`")
        }
        return Self.response(for: outcome)
    }

    static func response(for outcome: SignInOutcome) -> HTTPResponse {
        switch outcome {
        case .signedIn(let session):
            let person = session.person
            return .json(.ok, json(SignedIn(
                session: session.token, expiresAt: WireEvents.iso8601(session.expiresAt), credential: session.credentialID,
                timeZone: session.timeZone, identity: IdentityView(person: person))))
        case .refused(let message):
            return error(.unauthorized, "invalid_credentials", message)
        case .throttled(let seconds):
            return error(.tooManyRequests, "throttled", "too many failed sign-ins; try again in \(seconds) s",
                         retryAfter: seconds, headers: [("Retry-After", "\(seconds)")])
        case .passwordChangeRequired:
            return error(.forbidden, "password_change_required", "this is a one-time password: send it again with `new_password`")
        case .weakPassword(let problem):
            return .json(.unprocessableEntity, json(WeakPassword(error: "weak_password", message: problem.message, rule: problem.rawValue,
                                                                minimumCharacters: PasswordRules.minimumCharacters,
                                                                minimumDistinctCharacters: PasswordRules.minimumDistinctCharacters)))
        case .busy:
            return error(.serviceUnavailable, "busy", "too many sign-ins at once; try again in a moment", headers: [("Retry-After", "1")])
        case .storageUnavailable:
            return error(.serviceUnavailable, "storage_unavailable", "the hub cannot store the session now; try again shortly",
                         headers: [("Retry-After", "5")])
        }
    }

    private func signOut(_ request: HTTPRequest) async -> HTTPResponse {
        guard let authorization = request.headers.first(name: "Authorization"), authorization.hasPrefix("Bearer "),
              authorization.utf8.count <= 7 + ParameterLimits.maxToken
        else {
            return Self.error(.unauthorized, "invalid_credentials", "send the session as `Authorization: Bearer <session>`")
        }
        do {
            guard try await service.signOut(token: String(authorization.dropFirst(7))) else {
                return Self.error(.unauthorized, "invalid_credentials", "no such session, or it already ended")
            }
            return HTTPResponse(status: .noContent, headers: HTTPHeaders([("Cache-Control", "no-store")]))
        } catch {
            return Self.error(.serviceUnavailable, "storage_unavailable", "the hub cannot end the session now; try again shortly")
        }
    }

    static func error(
        _ status: HTTPResponseStatus, _ code: String, _ message: String, retryAfter: Int? = nil, headers: [(String, String)] = []
    ) -> HTTPResponse {
        .json(status, json(Refusal(error: code, message: message, retryAfterS: retryAfter)), headers: HTTPHeaders(headers))
    }

    /// `POST /v1/session`'s answer: the session, when it ends, and who it is.
    private struct SignedIn: Encodable {
        let session: String
        let expiresAt: String
        let credential: Int64
        let timeZone: String
        let identity: IdentityView
    }

    /// A refusal: its code, a sentence, and when to try again (throttling).
    private struct Refusal: Encodable {
        let error: String
        let message: String
        let retryAfterS: Int?
    }

    /// A new password refused: the rule it breaks (`rule`), and the rules' numbers for the words.
    private struct WeakPassword: Encodable {
        let error: String
        let message: String
        let rule: String
        let minimumCharacters: Int
        let minimumDistinctCharacters: Int
    }

    private static func json(_ value: some Encodable) -> String {
        String(decoding: (try? WireCoding.encode(value)) ?? Array("{}".utf8), as: UTF8.self)
    }
}
