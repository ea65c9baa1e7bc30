// PeerCertificate: what the layer above learns about a verified peer certificate.
import COpenSSL
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A peer's certificate after OpenSSL verified it against our trust roots.
public struct PeerCertificate: Sendable, Hashable {
    /// Lowercase hex SHA-256 of the DER certificate: the key the hub maps to a person.
    public let fingerprintSHA256: String
    /// The subject distinguished name in RFC 2253 form, e.g. `CN=alice,O=Housing Bureau`.
    public let subject: String
    /// The subject's common name, if it has one.
    public let commonName: String?
    /// When the certificate expires (nil if unreadable).
    public let notAfter: Date?

    public init(fingerprintSHA256: String, subject: String, commonName: String?, notAfter: Date? = nil) {
        self.fingerprintSHA256 = fingerprintSHA256
        self.subject = subject
        self.commonName = commonName
        self.notAfter = notAfter
    }

    /// Reads the fields of an `X509*` (not consumed).
    init(x509 certificate: OpaquePointer) {
        fingerprintSHA256 = Self.fingerprint(of: certificate)
        let name = X509_get_subject_name(certificate)
        subject = Self.rfc2253(name)
        commonName = Self.commonName(name)
        notAfter = Self.notAfter(of: certificate)
    }

    /// The certificate's expiry.
    static func notAfter(of certificate: OpaquePointer) -> Date? {
        guard let expiry = X509_get0_notAfter(certificate) else { return nil }
        var time = tm()
        guard ASN1_TIME_to_tm(expiry, &time) == 1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&time)))
    }

    static func fingerprint(of certificate: OpaquePointer) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(certificate, EVP_sha256(), &digest, &length) == 1 else { return "" }
        return digest.prefix(Int(length)).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    static func rfc2253(_ name: OpaquePointer?) -> String {
        guard let name, let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        _ = X509_NAME_print_ex(bio, name, 0, chub_XN_FLAG_RFC2253())
        return PEM.memoryBIOString(bio)
    }

    static func commonName(_ name: OpaquePointer?) -> String? {
        guard let name else { return nil }
        let index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index),
            let data = X509_NAME_ENTRY_get_data(entry)
        else { return nil }
        var utf8: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&utf8, data)
        guard length >= 0, let utf8 else { return nil }
        defer { chub_OPENSSL_free(utf8) }
        return String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
    }
}

/// What a completed handshake established; sent up the pipeline as a user inbound event.
public struct TLSHandshakeCompleted: Sendable, Hashable {
    /// `TLSv1.3` or `TLSv1.2`.
    public let protocolVersion: String
    /// The negotiated cipher suite, e.g. `TLS_AES_128_GCM_SHA256`.
    public let cipherSuite: String
    /// The ALPN protocol both sides agreed on, if any.
    public let applicationProtocol: String?
    /// The peer's verified certificate, if it presented one.
    public let peerCertificate: PeerCertificate?
}

/// Fired as a user inbound event when the peer's close_notify arrives (after all plaintext before it).
public struct TLSCloseNotifyReceived: Sendable, Hashable {
    public init() {}
}
