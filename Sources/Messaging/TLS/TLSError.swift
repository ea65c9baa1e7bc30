// TLSError: OpenSSL failures as typed Swift errors carrying OpenSSL's own reason text.
import COpenSSL

/// An error from the TLS layer. The `kind` tells what failed; `description` says what to do.
public struct TLSError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, broadly. New kinds may be added.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case handshakeFailed = "handshake failed"
            case handshakeTimeout = "handshake timed out"
            case eofDuringHandshake = "connection closed during the TLS handshake"
            case certificateVerificationFailed = "certificate verification failed"
            case uncleanShutdown = "connection closed without close_notify"
            case readFailed = "TLS read failed"
            case writeFailed = "TLS write failed"
            case invalidConfiguration = "invalid TLS configuration"
            case invalidCertificate = "invalid certificate or key"
            case shutdownTimeout = "close_notify was not answered in time"
            case closed = "the TLS connection is closed"
        }
        fileprivate let base: Base
        public static let handshakeFailed = Kind(base: .handshakeFailed)
        public static let handshakeTimeout = Kind(base: .handshakeTimeout)
        public static let eofDuringHandshake = Kind(base: .eofDuringHandshake)
        public static let certificateVerificationFailed = Kind(base: .certificateVerificationFailed)
        public static let uncleanShutdown = Kind(base: .uncleanShutdown)
        public static let readFailed = Kind(base: .readFailed)
        public static let writeFailed = Kind(base: .writeFailed)
        public static let invalidConfiguration = Kind(base: .invalidConfiguration)
        public static let invalidCertificate = Kind(base: .invalidCertificate)
        public static let shutdownTimeout = Kind(base: .shutdownTimeout)
        public static let closed = Kind(base: .closed)
        public var description: String { base.rawValue }
    }

    /// What failed.
    public let kind: Kind
    /// OpenSSL's reason strings, oldest first (may be empty).
    public let openSSLReasons: [String]
    /// Extra context from our side (for example the certificate verification result).
    public let detail: String?

    public init(_ kind: Kind, detail: String? = nil, openSSLReasons: [String] = []) {
        self.kind = kind
        self.detail = detail
        self.openSSLReasons = openSSLReasons
    }

    /// Builds an error of `kind` from (and empties) this thread's OpenSSL error queue.
    static func fromErrorQueue(_ kind: Kind, detail: String? = nil) -> TLSError {
        TLSError(kind, detail: detail, openSSLReasons: drainOpenSSLErrorQueue())
    }

    public var description: String {
        var text = "TLS: \(kind)"
        if let detail { text += ": \(detail)" }
        if !openSSLReasons.isEmpty { text += " (OpenSSL: \(openSSLReasons.joined(separator: "; ")))" }
        return text
    }
}

/// Empties this thread's OpenSSL error queue and returns each entry as readable text.
func drainOpenSSLErrorQueue() -> [String] {
    var reasons: [String] = []
    while true {
        let code = ERR_get_error()
        if code == 0 { break }
        if let reason = ERR_reason_error_string(code) {
            reasons.append(String(cString: reason))
        } else {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }
    return reasons
}
