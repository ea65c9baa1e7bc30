// TLSContext: an immutable, shareable SSL_CTX built from a TLSConfiguration under our fixed policy.
import COpenSSL

/// Whether an endpoint accepts or initiates connections.
public enum TLSRole: Sendable {
    case server
    case client
}

/// An `SSL_CTX` configured once and then only read, so it may be shared across event loops.
public final class TLSContext: @unchecked Sendable {
    /// TLS 1.2 suites: ECDHE key exchange (forward secrecy) with AEAD ciphers only.
    static let tls12CipherList = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
        + "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
        + "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
    /// TLS 1.3 suites (all AEAD, all forward secret).
    static let tls13CipherSuites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

    let context: OpaquePointer
    /// Which side this context is for.
    public let role: TLSRole
    /// The configuration the context was built from.
    public let configuration: TLSConfiguration
    /// ALPN protocol list in wire format (length-prefixed), kept alive for the select callback.
    private let alpnWire: UnsafeMutableBufferPointer<UInt8>

    /// Builds a context; throws a `TLSError` naming the part of the configuration that is wrong.
    public init(role: TLSRole, configuration: TLSConfiguration) throws {
        self.role = role
        self.configuration = configuration
        ERR_clear_error()
        guard let context = SSL_CTX_new(role == .server ? TLS_server_method() : TLS_client_method()) else {
            throw TLSError.fromErrorQueue(.invalidConfiguration, detail: "SSL_CTX_new failed")
        }
        self.context = context
        var wire: [UInt8] = []
        for name in configuration.applicationProtocols {
            let bytes = Array(name.utf8)
            precondition(!bytes.isEmpty && bytes.count < 256, "ALPN names are 1 to 255 bytes")
            wire.append(UInt8(bytes.count))
            wire.append(contentsOf: bytes)
        }
        // A zero byte ends the list for the select callback, which is given only the pointer.
        alpnWire = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: wire.count + 1)
        _ = alpnWire.initialize(from: wire + [0])
        // Every stored property is set, so if these throw, deinit frees the context and buffer.
        try applyPolicy(wireCount: wire.count)
        try loadIdentity()
        try configureVerification()
    }

    deinit {
        SSL_CTX_free(context)
        alpnWire.deallocate()
    }

    private func check(_ ok: Bool, _ detail: String) throws {
        if !ok { throw TLSError.fromErrorQueue(.invalidConfiguration, detail: detail) }
    }

    private func applyPolicy(wireCount: Int) throws {
        try check(chub_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) == 1, "minimum version")
        let maximum = configuration.maximumVersion == .tls13 ? TLS1_3_VERSION : TLS1_2_VERSION
        try check(chub_SSL_CTX_set_max_proto_version(context, maximum) == 1, "maximum version")
        try check(SSL_CTX_set_cipher_list(context, Self.tls12CipherList) == 1, "TLS 1.2 cipher list")
        try check(SSL_CTX_set_ciphersuites(context, Self.tls13CipherSuites) == 1, "TLS 1.3 cipher suites")
        try check(chub_SSL_CTX_set1_groups_list(context, "X25519:P-256:P-384") == 1, "key exchange groups")
        _ = SSL_CTX_set_options(
            context,
            chub_SSL_OP_NO_COMPRESSION() | chub_SSL_OP_NO_RENEGOTIATION()
                | chub_SSL_OP_CIPHER_SERVER_PREFERENCE() | chub_SSL_OP_NO_TICKET())
        // NO_AUTO_CHAIN: send exactly the configured chain (see loadIdentity), never one OpenSSL
        // builds from the trust store.
        _ = chub_SSL_CTX_set_mode(context, chub_SSL_MODE_RELEASE_BUFFERS() | chub_SSL_MODE_AUTO_RETRY() | chub_SSL_MODE_NO_AUTO_CHAIN())
        // No resumption: every connection is fully authenticated, and nothing is cached per session.
        _ = chub_SSL_CTX_disable_session_cache(context)
        _ = SSL_CTX_set_num_tickets(context, 0)
        guard wireCount > 0 else { return }
        switch role {
        case .client:
            // Returns 0 on success, unlike most of OpenSSL.
            try check(SSL_CTX_set_alpn_protos(context, alpnWire.baseAddress, UInt32(wireCount)) == 0, "ALPN")
        case .server:
            SSL_CTX_set_alpn_select_cb(context, tlsALPNSelect, UnsafeMutableRawPointer(alpnWire.baseAddress))
        }
    }

    private func loadIdentity() throws {
        guard let chainPEM = configuration.certificateChainPEM else {
            if role == .server { throw TLSError(.invalidConfiguration, detail: "a server needs a certificate") }
            return
        }
        guard let keyPEM = configuration.privateKeyPEM else {
            throw TLSError(.invalidConfiguration, detail: "a certificate needs its private key")
        }
        let chain = try PEM.certificates(chainPEM)
        defer { chain.forEach { X509_free($0) } }
        let key = try PEM.privateKey(keyPEM)
        defer { EVP_PKEY_free(key) }
        try check(SSL_CTX_use_certificate(context, chain[0]) == 1, "certificate")
        // A self-signed root in the file is not sent: the peer must already trust it to accept
        // the chain (RFC 8446 §4.4.2 lets it be omitted), and each certificate sent costs the
        // peer a parse per handshake (a large part of an OpenSSL 3.0 client's handshake).
        for intermediate in chain.dropFirst() where X509_check_issued(intermediate, intermediate) != X509_V_OK {
            try check(chub_SSL_CTX_add1_chain_cert(context, intermediate) == 1, "certificate chain")
        }
        guard SSL_CTX_use_PrivateKey(context, key) == 1, SSL_CTX_check_private_key(context) == 1 else {
            throw TLSError.fromErrorQueue(.invalidCertificate, detail: "the private key does not match the certificate")
        }
    }

    private func configureVerification() throws {
        let verifyPeer: Bool
        var mode = SSL_VERIFY_NONE
        switch role {
        case .server:
            verifyPeer = configuration.clientCertificateMode != .none
            if verifyPeer { mode = SSL_VERIFY_PEER }
            if configuration.clientCertificateMode == .required { mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT }
        case .client:
            verifyPeer = configuration.verifyServer
            if verifyPeer { mode = SSL_VERIFY_PEER }
        }
        if verifyPeer {
            guard let rootsPEM = configuration.trustRootsPEM else {
                throw TLSError(.invalidConfiguration, detail: "verifying the peer needs trust roots")
            }
            let roots = try PEM.certificates(rootsPEM)
            defer { roots.forEach { X509_free($0) } }
            let store = SSL_CTX_get_cert_store(context)
            for root in roots {
                try check(X509_STORE_add_cert(store, root) == 1, "trust root")
                if role == .server { try check(SSL_CTX_add_client_CA(context, root) == 1, "client CA list") }
            }
            let sessionContext = Array("conferencehub".utf8)
            _ = SSL_CTX_set_session_id_context(context, sessionContext, UInt32(sessionContext.count))
        }
        SSL_CTX_set_verify(context, mode, nil)
    }
}

/// ALPN selection on the server: the first of our protocols the client offers. The callback
/// captures nothing; our wire-format list arrives through `arg`.
private func tlsALPNSelect(
    _ ssl: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ outLength: UnsafeMutablePointer<UInt8>?, _ offered: UnsafePointer<UInt8>?, _ offeredLength: UInt32,
    _ arg: UnsafeMutableRawPointer?
) -> Int32 {
    guard let arg, let out, let outLength, let offered else { return SSL_TLSEXT_ERR_NOACK }
    let ours = arg.assumingMemoryBound(to: UInt8.self)
    var ourLength = 0
    while ours[ourLength] != 0 { ourLength += 1 + Int(ours[ourLength]) }
    var selected: UnsafeMutablePointer<UInt8>?
    let result = SSL_select_next_proto(&selected, outLength, ours, UInt32(ourLength), offered, offeredLength)
    guard result == OPENSSL_NPN_NEGOTIATED, let selected else { return SSL_TLSEXT_ERR_NOACK }
    out.pointee = UnsafePointer(selected)
    return SSL_TLSEXT_ERR_OK
}
