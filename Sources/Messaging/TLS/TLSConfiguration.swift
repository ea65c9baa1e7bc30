// TLSConfiguration: what a TLS endpoint presents, trusts and requires. Defaults follow our policy.
import NIOCore

/// Whether and how a server asks for client certificates.
public enum ClientCertificateMode: String, Sendable, CaseIterable {
    /// Do not ask for a client certificate.
    case none
    /// Ask; verify one if presented against the trust roots; allow connections without one.
    case optional
    /// Ask and require a verified certificate; a connection without one fails the handshake.
    case required
}

/// Configuration for one side of a TLS connection.
///
/// Policy is fixed, not configurable: TLS 1.2 minimum (1.3 preferred), AEAD suites with forward
/// secrecy only, no compression, no renegotiation, no session tickets.
public struct TLSConfiguration: Sendable {
    /// PEM text of our certificate chain (leaf first). Required for servers.
    public var certificateChainPEM: String?
    /// PEM text of our private key. Required with `certificateChainPEM`.
    public var privateKeyPEM: String?
    /// PEM text of the certificates we trust to sign the peer's certificate.
    public var trustRootsPEM: String?
    /// Server only: whether client certificates are requested or required.
    public var clientCertificateMode: ClientCertificateMode
    /// Client only: the name (DNS or IP literal) the server certificate must match; also sent as SNI
    /// when it is a DNS name. `nil` skips the name check (never do that outside tests).
    public var serverHostname: String?
    /// Client only: verify the server's certificate chain against `trustRootsPEM`.
    public var verifyServer: Bool
    /// The ALPN protocols to offer (client) or accept (server).
    public var applicationProtocols: [String]
    /// Highest protocol version to negotiate; lower it only to test TLS 1.2.
    public var maximumVersion: TLSVersion
    /// How long a handshake may take before the connection is closed.
    public var handshakeTimeout: TimeAmount
    /// How long to wait for the peer's close_notify after sending ours.
    public var shutdownTimeout: TimeAmount

    /// Protocol versions we speak.
    public enum TLSVersion: String, Sendable {
        case tls12 = "TLSv1.2"
        case tls13 = "TLSv1.3"
    }

    /// A server configuration presenting `certificateChainPEM` with `privateKeyPEM`.
    public static func server(
        certificateChainPEM: String,
        privateKeyPEM: String,
        trustRootsPEM: String? = nil,
        clientCertificateMode: ClientCertificateMode = .optional
    ) -> TLSConfiguration {
        TLSConfiguration(
            certificateChainPEM: certificateChainPEM, privateKeyPEM: privateKeyPEM,
            trustRootsPEM: trustRootsPEM, clientCertificateMode: trustRootsPEM == nil ? .none : clientCertificateMode,
            serverHostname: nil, verifyServer: false)
    }

    /// A client configuration trusting `trustRootsPEM`, optionally presenting a certificate.
    public static func client(
        trustRootsPEM: String,
        serverHostname: String?,
        certificateChainPEM: String? = nil,
        privateKeyPEM: String? = nil
    ) -> TLSConfiguration {
        TLSConfiguration(
            certificateChainPEM: certificateChainPEM, privateKeyPEM: privateKeyPEM,
            trustRootsPEM: trustRootsPEM, clientCertificateMode: .none,
            serverHostname: serverHostname, verifyServer: true)
    }

    public init(
        certificateChainPEM: String?, privateKeyPEM: String?, trustRootsPEM: String?,
        clientCertificateMode: ClientCertificateMode, serverHostname: String?, verifyServer: Bool,
        applicationProtocols: [String] = ["http/1.1"], maximumVersion: TLSVersion = .tls13,
        handshakeTimeout: TimeAmount = WebSocketServerConfiguration.Defaults.handshakeTimeout, shutdownTimeout: TimeAmount = .seconds(5)
    ) {
        self.certificateChainPEM = certificateChainPEM
        self.privateKeyPEM = privateKeyPEM
        self.trustRootsPEM = trustRootsPEM
        self.clientCertificateMode = clientCertificateMode
        self.serverHostname = serverHostname
        self.verifyServer = verifyServer
        self.applicationProtocols = applicationProtocols
        self.maximumVersion = maximumVersion
        self.handshakeTimeout = handshakeTimeout
        self.shutdownTimeout = shutdownTimeout
    }
}
