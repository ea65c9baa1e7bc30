// TLSConnection: one SSL* and its two memory BIOs. It turns ciphertext from the network into
// plaintext and back, and answers each step as incomplete, complete or failed. It never touches a
// socket; TLSHandler moves the bytes. Not thread-safe: confined to its handler's event loop.
import COpenSSL
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

final class TLSConnection {
    /// The outcome of a handshake or shutdown step.
    enum StepResult {
        case incomplete
        case complete
        case failed(TLSError)
    }

    /// The outcome of one plaintext read.
    enum ReadResult {
        case bytes(Int)
        case wantMoreCiphertext
        case closeNotify
        case failed(TLSError)
    }

    /// Largest plaintext per TLS record.
    static let maxRecordPlaintext = 16_384

    private let ssl: OpaquePointer
    /// Ciphertext from the network, read by OpenSSL.
    private let networkIn: OpaquePointer
    /// Ciphertext from OpenSSL, to be sent to the network.
    private var networkOut: OpaquePointer
    /// A memory BIO keeps the largest size it ever grew to. One that held more than this (a
    /// large reply) is replaced by a fresh one once drained, so that an idle connection does not
    /// hold on to the memory of its largest reply.
    static let retainedCiphertextLimit = 4096
    private var outputGrown = false
    /// Keeps the SSL_CTX alive as long as the SSL* that refers to it.
    let context: TLSContext

    init(context: TLSContext) throws {
        self.context = context
        ERR_clear_error()
        guard let ssl = SSL_new(context.context) else {
            throw TLSError.fromErrorQueue(.invalidConfiguration, detail: "SSL_new failed")
        }
        guard let input = BIO_new(BIO_s_mem()), let output = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw TLSError.fromErrorQueue(.invalidConfiguration, detail: "BIO_new failed")
        }
        // An empty input BIO means "wait for more", not end of file.
        _ = chub_BIO_set_mem_eof_return(input, -1)
        SSL_set_bio(ssl, input, output)  // the SSL* now owns both BIOs
        self.ssl = ssl
        networkIn = input
        networkOut = output
        switch context.role {
        case .server:
            SSL_set_accept_state(ssl)
        case .client:
            SSL_set_connect_state(ssl)
            if let name = context.configuration.serverHostname {
                try setExpectedServerName(name)
            }
        }
    }

    deinit {
        SSL_free(ssl)
    }

    private func setExpectedServerName(_ name: String) throws {
        var address = in6_addr()
        let isIPv4 = name.withCString { inet_pton(AF_INET, $0, &address) } == 1
        let isIPv6 = name.withCString { inet_pton(AF_INET6, $0, &address) } == 1
        if isIPv4 || isIPv6 {
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) == 1 else {
                throw TLSError.fromErrorQueue(.invalidConfiguration, detail: "bad server address \(name)")
            }
        } else {
            guard SSL_set1_host(ssl, name) == 1, chub_SSL_set_tlsext_host_name(ssl, name) == 1 else {
                throw TLSError.fromErrorQueue(.invalidConfiguration, detail: "bad server name \(name)")
            }
        }
    }

    /// Hands ciphertext received from the network to OpenSSL.
    func consumeCiphertext(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                // A memory BIO accepts everything it is given (it grows).
                let written = BIO_write(networkIn, bytes.baseAddress! + offset, Int32(bytes.count - offset))
                if written <= 0 { break }
                offset += Int(written)
            }
        }
    }

    /// Bytes OpenSSL has produced for the network and not yet handed out.
    var pendingCiphertext: Int { Int(BIO_ctrl_pending(networkOut)) }

    /// Moves every produced ciphertext byte into one buffer; nil when there is none.
    func takeCiphertext(allocator: ByteBufferAllocator) -> ByteBuffer? {
        let pending = pendingCiphertext
        guard pending > 0 else { return nil }
        var buffer = allocator.buffer(capacity: pending)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: pending) { bytes in
            Int(max(0, BIO_read(networkOut, bytes.baseAddress, Int32(pending))))
        }
        if pending > Self.retainedCiphertextLimit { outputGrown = true }
        if outputGrown, pendingCiphertext == 0, let fresh = BIO_new(BIO_s_mem()) {
            SSL_set0_wbio(ssl, fresh)  // frees the grown one
            networkOut = fresh
            outputGrown = false
        }
        return buffer
    }

    /// Advances the handshake with whatever ciphertext has arrived.
    func doHandshake() -> StepResult {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 { return .complete }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .incomplete
        default:
            let verify = SSL_get_verify_result(ssl)
            if verify != X509_V_OK {
                let reason = String(cString: X509_verify_cert_error_string(verify))
                return .failed(.fromErrorQueue(.certificateVerificationFailed, detail: reason))
            }
            return .failed(.fromErrorQueue(.handshakeFailed))
        }
    }

    /// At most how many plaintext bytes the next `readPlaintext` can yield: what OpenSSL holds
    /// decrypted plus the ciphertext not yet processed (a record's plaintext is never longer
    /// than its ciphertext), capped at one record. Zero means a read would only ask for more.
    var readablePlaintextBound: Int {
        min(Self.maxRecordPlaintext, Int(SSL_pending(ssl)) + Int(BIO_ctrl_pending(networkIn)))
    }

    /// Decrypts into `buffer` as much as one record yields (at most the buffer's writable bytes;
    /// the rest stays in OpenSSL for the next call).
    func readPlaintext(into buffer: inout ByteBuffer) -> ReadResult {
        var outcome = ReadResult.wantMoreCiphertext
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 1) { bytes in
            ERR_clear_error()
            let count = SSL_read(ssl, bytes.baseAddress, Int32(min(bytes.count, Int(Int32.max))))
            if count > 0 {
                outcome = .bytes(Int(count))
                return Int(count)
            }
            switch SSL_get_error(ssl, count) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                outcome = .wantMoreCiphertext
            case SSL_ERROR_ZERO_RETURN:
                outcome = .closeNotify
            default:
                outcome = .failed(.fromErrorQueue(.readFailed))
            }
            return 0
        }
        return outcome
    }

    /// Encrypts all of `plaintext`, in records of at most 16 KiB.
    func writePlaintext(_ plaintext: ByteBuffer) -> TLSError? {
        plaintext.withUnsafeReadableBytes { bytes -> TLSError? in
            var offset = 0
            while offset < bytes.count {
                let chunk = min(bytes.count - offset, Self.maxRecordPlaintext)
                ERR_clear_error()
                let written = SSL_write(ssl, bytes.baseAddress! + offset, Int32(chunk))
                guard written > 0 else {
                    return .fromErrorQueue(.writeFailed, detail: "SSL_get_error \(SSL_get_error(ssl, written))")
                }
                offset += Int(written)
            }
            return nil
        }
    }

    /// Sends our close_notify. `.complete` once the peer's close_notify has also been seen.
    func shutdown() -> StepResult {
        ERR_clear_error()
        let result = SSL_shutdown(ssl)
        switch result {
        case 1: return .complete
        case 0: return .incomplete
        default:
            switch SSL_get_error(ssl, result) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .incomplete
            default: return .failed(.fromErrorQueue(.closed, detail: "SSL_shutdown failed"))
            }
        }
    }

    /// What the finished handshake negotiated.
    func handshakeSummary() -> TLSHandshakeCompleted {
        let version = String(cString: SSL_get_version(ssl))
        let cipher = SSL_get_current_cipher(ssl).map { String(cString: SSL_CIPHER_get_name($0)) } ?? "unknown"
        var alpnData: UnsafePointer<UInt8>?
        var alpnLength: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &alpnData, &alpnLength)
        let alpn = alpnData.map { String(decoding: UnsafeBufferPointer(start: $0, count: Int(alpnLength)), as: UTF8.self) }
        var peer: PeerCertificate?
        if let certificate = SSL_get1_peer_certificate(ssl) {
            defer { X509_free(certificate) }
            // With SSL_VERIFY_PEER a certificate that failed verification fails the handshake;
            // check anyway so that an unverified certificate is never reported as an identity.
            if SSL_get_verify_result(ssl) == X509_V_OK {
                peer = PeerCertificate(x509: certificate)
            }
        }
        return TLSHandshakeCompleted(
            protocolVersion: version, cipherSuite: cipher,
            applicationProtocol: alpn.flatMap { $0.isEmpty ? nil : $0 }, peerCertificate: peer)
    }
}
