// SchemaEndpoint: `GET /v1/schema`, the protocol's vocabulary (what the `schema` command answers)
// over HTTPS for a signed-in browser (`Authorization: Bearer <session>`). The console reads it
// here rather than over its WebSocket: the answer is large, and a long-lived socket would keep
// the buffers of its largest message for as long as it lives.
import CaseCore
import Foundation
import Messaging
import NIOHTTP1

struct SchemaEndpoint: Sendable {
    static let path = "/v1/schema"

    let store: CaseStore
    let configuration: HubConfiguration

    /// The answer to a request for ``path``; nil for any other path.
    func respond(to request: HTTPRequest) async -> HTTPResponse? {
        guard request.path == Self.path else { return nil }
        guard request.method == .GET else {
            return .json(.methodNotAllowed, #"{"error":"method_not_allowed","message":"use GET"}"#, headers: HTTPHeaders([("Allow", "GET")]))
        }
        let unauthorized = HTTPResponse.json(.unauthorized, #"{"error":"invalid_credentials","message":"send the session as `Authorization: Bearer <session>`"}"#)
        guard let authorization = request.headers.first(name: "Authorization"), authorization.hasPrefix("Bearer "),
              authorization.utf8.count <= 7 + ParameterLimits.maxToken
        else { return unauthorized }
        do {
            guard try await store.identity(forDigest: CaseStore.tokenDigest(String(authorization.dropFirst(7))), kinds: [.session, .token]) != nil else {
                return unauthorized
            }
            let body = try WireCoding.encode(try await Schema.output(store: store, configuration: configuration))
            return .json(.ok, String(decoding: body, as: UTF8.self))
        } catch {
            return .json(.serviceUnavailable, #"{"error":"storage_unavailable","message":"the hub cannot read now; try again shortly"}"#,
                         headers: HTTPHeaders([("Retry-After", "5")]))
        }
    }
}
