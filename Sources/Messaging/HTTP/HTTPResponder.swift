// HTTPResponder: how the application answers plain HTTPS requests on the hub's listener (the
// console's pages, sign-in) without knowing NIO's channel handlers. The server reads a whole,
// bounded request, asks the responder, and writes what it returns.
import Logging
import NIOCore
import NIOHTTP1

/// A complete HTTP request, as read from one connection.
public struct HTTPRequest: Sendable {
    public let method: HTTPMethod
    /// The path, without the query.
    public let path: String
    /// The query, without `?` (empty when there is none).
    public let query: String
    public let headers: HTTPHeaders
    /// The body (at most ``HTTPLimits/maxRequestBodyBytes``).
    public let body: ByteBuffer
    /// The peer's IP address (for throttling; never a person's identity).
    public let peerAddress: String
    /// The port the request arrived on (for ``OriginPolicy``).
    public let localPort: Int
    /// The client certificate the TLS handshake verified, if any.
    public let certificate: PeerCertificate?
    /// The connection's logger (with its id).
    public let logger: Logger

    public init(
        method: HTTPMethod, path: String, query: String = "", headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer(),
        peerAddress: String = "127.0.0.1", localPort: Int = 0, certificate: PeerCertificate? = nil,
        logger: Logger = Logger(label: "http")
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.peerAddress = peerAddress
        self.localPort = localPort
        self.certificate = certificate
        self.logger = logger
    }

    /// The `Origin` header, if the request has exactly one.
    public var origin: String? { headers[canonicalForm: "Origin"].count == 1 ? headers.first(name: "Origin") : nil }
}

/// An answer to an ``HTTPRequest``.
public struct HTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: ByteBuffer

    public init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON answer, not to be cached.
    public static func json(_ status: HTTPResponseStatus, _ body: String, headers extra: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = HTTPHeaders([("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store")])
        headers.add(contentsOf: extra)
        return HTTPResponse(status: status, headers: headers, body: ByteBuffer(string: body))
    }
}

/// Answers the requests the server does not answer itself; nil means "no such resource" (404).
public typealias HTTPResponder = @Sendable (HTTPRequest) async -> HTTPResponse?

/// Bounds on what a plain HTTP request may bring.
public enum HTTPLimits {
    /// Largest request body read; a larger one is answered 413 and the connection closed.
    public static let maxRequestBodyBytes = 16 * 1024
}
