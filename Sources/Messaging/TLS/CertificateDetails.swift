// CertificateDetails: what an operator needs to know of a certificate on disk — when it expires and
// which names it is for — read with OpenSSL's X509 API.
import COpenSSL
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The validity and names of the first certificate in a PEM text.
public struct CertificateDetails: Sendable, Equatable {
    public let commonName: String?
    public let notAfter: Date
    /// Subject alternative names of type DNS.
    public let dnsNames: [String]
    /// Subject alternative names of type IP, as text (`127.0.0.1`, `::1`).
    public let ipAddresses: [String]
    public let fingerprintSHA256: String

    public init(pem: String) throws {
        let certificates = try PEM.certificates(pem)
        defer { certificates.forEach { X509_free($0) } }
        let certificate = certificates[0]
        commonName = PeerCertificate.commonName(X509_get_subject_name(certificate))
        fingerprintSHA256 = PeerCertificate.fingerprint(of: certificate)
        guard let expiry = PeerCertificate.notAfter(of: certificate) else {
            throw TLSError.fromErrorQueue(.invalidCertificate, detail: "unreadable expiry")
        }
        notAfter = expiry
        var dns: [String] = []
        var ips: [String] = []
        if let names = X509_get_ext_d2i(certificate, NID_subject_alt_name, nil, nil) {
            let stack = OpaquePointer(names)
            defer { GENERAL_NAMES_free(stack) }
            for index in 0..<max(0, OPENSSL_sk_num(stack)) {
                guard let raw = OPENSSL_sk_value(stack, index) else { continue }
                let name = raw.assumingMemoryBound(to: GENERAL_NAME.self).pointee
                switch name.type {
                case GEN_DNS:
                    if let text = Self.bytes(name.d.dNSName) { dns.append(String(decoding: text, as: UTF8.self)) }
                case GEN_IPADD:
                    if let address = Self.bytes(name.d.iPAddress), let text = Self.ipText(address) { ips.append(text) }
                default:
                    break
                }
            }
        }
        dnsNames = dns
        ipAddresses = ips
    }

    /// Whole days from `now` to the expiry (negative once expired).
    public func daysLeft(at now: Date = Date()) -> Int {
        Self.daysLeft(until: notAfter, at: now)
    }

    /// Whole days from `now` to `expiry` (negative once past).
    public static func daysLeft(until expiry: Date, at now: Date = Date()) -> Int {
        Int((expiry.timeIntervalSince(now) / 86_400).rounded(.down))
    }

    /// `2029-02-24`: the UTC date the hub writes an expiry as.
    public static func day(_ date: Date) -> String {
        ISO8601DateFormatter.string(from: date, timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
    }

    private static func bytes(_ string: UnsafeMutablePointer<ASN1_STRING>?) -> [UInt8]? {
        guard let string, let data = ASN1_STRING_get0_data(string) else { return nil }
        return Array(UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(string))))
    }

    private static func ipText(_ address: [UInt8]) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family: Int32
        switch address.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return nil
        }
        let written = address.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
        guard written != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
