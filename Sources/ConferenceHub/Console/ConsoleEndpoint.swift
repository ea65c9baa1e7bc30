// ConsoleEndpoint: serves the console — `/` is its page, `/console/<file>` its scripts and styles —
// with the headers a government intranet application should send: a strict Content-Security-Policy
// (no inline script or style; the socket only to the hub's own `wss://` origin), nosniff, no
// referrer, HSTS, no framing. Files are revalidated by strong ETag (`no-cache`: a new binary's
// files are used at once, an unchanged file costs a 304).
import Messaging
import NIOCore
import NIOHTTP1

struct ConsoleEndpoint: Sendable {
    let origins: OriginPolicy

    /// The answer for a console path; nil for any other path.
    func respond(to request: HTTPRequest) -> HTTPResponse? {
        let assetPath: String
        if request.path == "/" || request.path == "/index.html" {
            assetPath = "index.html"
        } else if request.path.hasPrefix("/console/") {
            assetPath = String(request.path.dropFirst("/console/".count))
        } else {
            return nil
        }
        guard request.method == .GET || request.method == .HEAD else {
            return .json(.methodNotAllowed, #"{"error":"method_not_allowed","message":"the console is read with GET"}"#,
                         headers: HTTPHeaders([("Allow", "GET, HEAD")]))
        }
        // The page may talk only to the origin it was loaded from, and only if that origin is one
        // the hub allows (its own names, or a configured one); otherwise the page could not work.
        guard let host = request.headers.first(name: "Host"), host.utf8.count <= 255,
              origins.allows(origin: "https://" + host, localPort: request.localPort)
        else {
            return .json(.misdirectedRequest, #"{"error":"misdirected_request","message":"open the console at one of the hub's own names (its certificate's), or add this origin to web.origins"}"#)
        }
        guard let asset = ConsoleAssets.byPath[assetPath] else {
            return .json(.notFound, #"{"error":"not_found","message":"no such resource"}"#)
        }
        var headers = Self.securityHeaders(socketOrigin: "wss://" + host)
        headers.add(name: "ETag", value: asset.etag)
        headers.add(name: "Cache-Control", value: "no-cache")
        if request.headers[canonicalForm: "If-None-Match"].contains(where: { Self.matches($0, asset.etag) }) {
            return HTTPResponse(status: .notModified, headers: headers)
        }
        headers.add(name: "Content-Type", value: asset.contentType)
        return HTTPResponse(status: .ok, headers: headers, body: ByteBuffer(bytes: asset.bytes))
    }

    /// `If-None-Match` lists ETags, or is `*`.
    private static func matches(_ header: Substring, _ etag: String) -> Bool {
        header.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == etag || $0.trimmingCharacters(in: .whitespaces) == "*" }
    }

    static func securityHeaders(socketOrigin: String) -> HTTPHeaders {
        HTTPHeaders([
            ("Content-Security-Policy",
             "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
                + "connect-src 'self' \(socketOrigin); base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            ("Strict-Transport-Security", "max-age=31536000"),
            ("X-Frame-Options", "DENY"),
            ("Cross-Origin-Opener-Policy", "same-origin"),
            ("Cross-Origin-Resource-Policy", "same-origin"),
        ])
    }
}
