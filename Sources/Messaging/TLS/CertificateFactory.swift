// CertificateFactory: makes the conference CA and the certificates it signs, through OpenSSL's
// X509 API (never the `openssl` command). Keys are NIST P-256; signatures ECDSA with SHA-256.
import COpenSSL
import Foundation

/// A certificate and its private key, as PEM text.
public struct CertificateIdentity: Sendable {
    /// The certificate, PEM.
    public let certificatePEM: String
    /// The private key, PEM (PKCS#8, unencrypted: store it with mode 0600).
    public let privateKeyPEM: String
    /// The certificate's SHA-256 fingerprint, lowercase hex.
    public let fingerprintSHA256: String
    /// The certificate's subject, RFC 2253.
    public let subject: String

    public init(certificatePEM: String, privateKeyPEM: String) throws {
        let certificates = try PEM.certificates(certificatePEM)
        defer { certificates.forEach { X509_free($0) } }
        let key = try PEM.privateKey(privateKeyPEM)
        EVP_PKEY_free(key)
        let peer = PeerCertificate(x509: certificates[0])
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
        fingerprintSHA256 = peer.fingerprintSHA256
        subject = peer.subject
    }
}

/// Issues certificates.
public enum CertificateFactory {
    /// What a leaf certificate is for.
    public enum Usage: Sendable {
        /// TLS server authentication for the given DNS names and IP addresses.
        case server(dnsNames: [String], ipAddresses: [String])
        /// TLS client authentication (a person's credential).
        case client
    }

    /// A self-signed certificate authority, with a new key or with `keyPEM` (renewing an authority:
    /// the same name and key, so that what it signed before verifies against either certificate).
    public static func makeAuthority(
        commonName: String, organization: String? = nil,
        notBefore: Date = Date().addingTimeInterval(-3600), validity: TimeInterval = 10 * 365 * 86_400,
        keyPEM: String? = nil
    ) throws -> CertificateIdentity {
        try build(
            commonName: commonName, organization: organization, notBefore: notBefore,
            notAfter: notBefore.addingTimeInterval(validity), issuer: nil, keyPEM: keyPEM,
            extensions: [
                (NID_basic_constraints, "critical,CA:TRUE,pathlen:0"),
                (NID_key_usage, "critical,keyCertSign,cRLSign"),
                (NID_subject_key_identifier, "hash"),
            ])
    }

    /// A leaf certificate signed by `authority`.
    public static func issue(
        commonName: String, organization: String? = nil, usage: Usage,
        notBefore: Date = Date().addingTimeInterval(-3600), validity: TimeInterval = 825 * 86_400,
        signedBy authority: CertificateIdentity
    ) throws -> CertificateIdentity {
        var extensions: [(Int32, String)] = [
            (NID_basic_constraints, "critical,CA:FALSE"),
            (NID_key_usage, "critical,digitalSignature"),
            (NID_subject_key_identifier, "hash"),
            (NID_authority_key_identifier, "keyid:always"),
        ]
        switch usage {
        case .server(let dnsNames, let ipAddresses):
            extensions.append((NID_ext_key_usage, "serverAuth"))
            let names = dnsNames.map { "DNS:\($0)" } + ipAddresses.map { "IP:\($0)" }
            if !names.isEmpty { extensions.append((NID_subject_alt_name, names.joined(separator: ","))) }
        case .client:
            extensions.append((NID_ext_key_usage, "clientAuth"))
        }
        return try build(
            commonName: commonName, organization: organization, notBefore: notBefore,
            notAfter: notBefore.addingTimeInterval(validity), issuer: authority, extensions: extensions)
    }

    private static func build(
        commonName: String, organization: String?, notBefore: Date, notAfter: Date,
        issuer: CertificateIdentity?, keyPEM: String? = nil, extensions: [(Int32, String)]
    ) throws -> CertificateIdentity {
        ERR_clear_error()
        guard let key = try keyPEM.map(PEM.privateKey) ?? chub_generate_p256_key() else {
            throw TLSError.fromErrorQueue(.invalidCertificate, detail: "key generation failed")
        }
        defer { EVP_PKEY_free(key) }
        guard let certificate = X509_new() else {
            throw TLSError.fromErrorQueue(.invalidCertificate, detail: "X509_new failed")
        }
        defer { X509_free(certificate) }

        var issuerCertificate: OpaquePointer?
        var signingKey = key
        if let issuer {
            issuerCertificate = try PEM.certificates(issuer.certificatePEM)[0]
            signingKey = try PEM.privateKey(issuer.privateKeyPEM)
        }
        defer {
            if let issuerCertificate { X509_free(issuerCertificate) }
            if issuer != nil { EVP_PKEY_free(signingKey) }
        }

        func require(_ ok: Bool, _ what: String) throws {
            if !ok { throw TLSError.fromErrorQueue(.invalidCertificate, detail: what) }
        }
        try require(X509_set_version(certificate, 2) == 1, "version")
        // A random 159-bit serial: positive and unique without a counter.
        guard let serial = BN_new() else { throw TLSError.fromErrorQueue(.invalidCertificate, detail: "BN_new") }
        defer { BN_free(serial) }
        try require(BN_rand(serial, 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1, "serial")
        try require(BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(certificate)) != nil, "serial")
        try require(ASN1_TIME_set(X509_getm_notBefore(certificate), time_t(notBefore.timeIntervalSince1970)) != nil, "notBefore")
        try require(ASN1_TIME_set(X509_getm_notAfter(certificate), time_t(notAfter.timeIntervalSince1970)) != nil, "notAfter")
        try require(X509_set_pubkey(certificate, key) == 1, "public key")

        let name = X509_get_subject_name(certificate)
        if let organization {
            try require(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, organization, -1, -1, 0) == 1, "organization")
        }
        try require(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, commonName, -1, -1, 0) == 1, "common name")
        try require(X509_set_issuer_name(certificate, X509_get_subject_name(issuerCertificate ?? certificate)) == 1, "issuer")

        var v3 = X509V3_CTX()
        X509V3_set_ctx(&v3, issuerCertificate ?? certificate, certificate, nil, nil, 0)
        chub_X509V3_set_ctx_nodb(&v3)
        for (nid, value) in extensions {
            guard let ext = X509V3_EXT_conf_nid(nil, &v3, nid, value) else {
                throw TLSError.fromErrorQueue(.invalidCertificate, detail: "extension \(value)")
            }
            defer { X509_EXTENSION_free(ext) }
            try require(X509_add_ext(certificate, ext, -1) == 1, "extension \(value)")
        }
        try require(X509_sign(certificate, signingKey, EVP_sha256()) > 0, "signature")

        return try CertificateIdentity(
            certificatePEM: PEM.encode(certificate: certificate), privateKeyPEM: PEM.encode(privateKey: key))
    }
}
