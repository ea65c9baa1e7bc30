// DataDirectory: the hub's files — the conference CA, the server certificate, credentials and the
// SQLite database — and the first-start initialization that creates them.
import CaseCore
import Foundation
import Messaging

/// The layout of a data directory (default `./hub-data`):
///
///     tls/ca.pem              conference CA certificate (give it to clients)
///     tls/ca-key.pem          conference CA private key (0600; signs credentials)
///     tls/server.pem          server certificate for localhost, 127.0.0.1 and ::1
///     tls/server-key.pem      server private key (0600)
///     credentials/admin/      the first admin credential: cert.pem, key.pem (0600), ca.pem
///     decisions/signing-key.pem  Ed25519 key signing the decision log's checkpoints (0600)
///     decisions/public-key.txt   its public key, base64 (give it to member units)
///     hub.sqlite              the database (WAL mode: also hub.sqlite-wal, hub.sqlite-shm)
///     hub.lock                held (flock) by the running `serve`: see ServeLock
struct DataDirectory {
    struct InitError: Error, CustomStringConvertible {
        let description: String
    }

    let root: String
    /// The conference office unit and the first administrator, created by `initialize`.
    static let officeUnit = UnitID("conference-office")
    static let adminPerson = PersonID("admin")

    init(_ root: String) {
        self.root = (root as NSString).standardizingPath
    }

    func path(_ relative: String) -> String { (root as NSString).appendingPathComponent(relative) }

    var caCertificate: String { path("tls/ca.pem") }
    var caKey: String { path("tls/ca-key.pem") }
    var serverCertificate: String { path("tls/server.pem") }
    var serverKey: String { path("tls/server-key.pem") }
    var adminCredential: String { path("credentials/admin") }
    var database: String { path("hub.sqlite") }
    var decisionKey: String { path("decisions/signing-key.pem") }
    var decisionPublicKey: String { path("decisions/public-key.txt") }
    /// The name the decision log's checkpoints carry.
    static let decisionLogOrigin = "ConferenceHub decision log"

    /// The decision log's signing key, created (0600) the first time it is needed, so that data
    /// directories made before the decision log get one too.
    func decisionLogIdentity() throws -> DecisionLogIdentity {
        if FileManager.default.fileExists(atPath: decisionKey) {
            return DecisionLogIdentity(signer: try CheckpointSigner(pem: read(decisionKey)), origin: Self.decisionLogOrigin)
        }
        try SecureFile.makeDirectory(path("decisions"), mode: 0o700)
        let signer = try CheckpointSigner()
        try SecureFile.create(decisionKey, contents: try signer.privateKeyPEM(), mode: 0o600)
        try SecureFile.create(decisionPublicKey, contents: Data(signer.publicKey).base64EncodedString() + "\n", mode: 0o644)
        return DecisionLogIdentity(signer: signer, origin: Self.decisionLogOrigin)
    }

    /// Files whose presence means the directory is initialized.
    private var requiredFiles: [String] { [caCertificate, caKey, serverCertificate, serverKey, database] }

    /// Whether every required file is present.
    var isInitialized: Bool { requiredFiles.allSatisfy { FileManager.default.fileExists(atPath: $0) } }

    /// What `initialize` created, for the first-start message.
    struct Created {
        let adminCertificate: String
        let adminKey: String
        let adminFingerprint: String
        /// With `demo`: the demonstration conference's people and their one-time passwords.
        var demo: [DemoConference.SignIn] = []
    }

    /// Creates everything in an empty (or missing) directory. Refuses a directory that holds some
    /// of the files but not all, rather than overwrite keys.
    /// The conference office's name when `init` is given none: a Chinese console shows no English default.
    static let defaultOfficeName = "联席会议办公室"

    func initialize(
        serverNames: [String] = ["localhost"], serverAddresses: [String] = ["127.0.0.1", "::1"],
        conference: String? = nil, office: String = defaultOfficeName, numbering: String? = nil,
        demo: Bool = false, policy: DeadlinePolicy = DeadlinePolicy()
    ) async throws -> Created {
        // The names and the pattern first: nothing is made for what the store would refuse.
        for name in [conference, office].compactMap({ $0 })
        where name.trimmingCharacters(in: .whitespaces).isEmpty || name.count > CaseInputLimits.nameLength {
            throw InitError(description: "a conference or office name is 1 to \(CaseInputLimits.nameLength) characters. Nothing was changed.")
        }
        let pattern: NumberPattern?
        do throws(CaseRefusal) {
            pattern = try numbering.map { text throws(CaseRefusal) in try NumberPattern(text) }
        } catch {
            throw InitError(description: "\(error.reason). Nothing was changed.")
        }
        let present = requiredFiles.filter { FileManager.default.fileExists(atPath: $0) }
        guard present.isEmpty else {
            throw InitError(description: "\(root) is partly initialized (found \(present.map { ($0 as NSString).lastPathComponent }.joined(separator: ", "))); "
                + "restore it from backup or move it aside and start again. Nothing was changed.")
        }
        try SecureFile.makeDirectory(root, mode: 0o700)
        try SecureFile.makeDirectory(path("tls"), mode: 0o700)
        try SecureFile.makeDirectory(adminCredential, mode: 0o700)

        let authority = try CertificateFactory.makeAuthority(commonName: Self.authorityName, organization: Self.authorityOrganization)
        try SecureFile.create(caKey, contents: authority.privateKeyPEM, mode: 0o600)
        try SecureFile.create(caCertificate, contents: authority.certificatePEM, mode: 0o644)

        let server = try Self.issueServerCertificate(names: serverNames, addresses: serverAddresses, authority: authority)
        try SecureFile.create(serverKey, contents: server.privateKeyPEM, mode: 0o600)
        try SecureFile.create(serverCertificate, contents: server.certificatePEM + authority.certificatePEM, mode: 0o644)

        let admin = try CertificateFactory.issue(commonName: "admin", organization: "Joint Conference", usage: .client, signedBy: authority)
        let adminKey = (adminCredential as NSString).appendingPathComponent("key.pem")
        let adminCertificate = (adminCredential as NSString).appendingPathComponent("cert.pem")
        try SecureFile.create(adminKey, contents: admin.privateKeyPEM, mode: 0o600)
        try SecureFile.create(adminCertificate, contents: admin.certificatePEM, mode: 0o644)
        try SecureFile.create((adminCredential as NSString).appendingPathComponent("ca.pem"), contents: authority.certificatePEM, mode: 0o644)

        let decisionLog = try decisionLogIdentity()

        // The database is created last: its presence marks a complete initialization. It is built
        // under a temporary name and renamed, so a failure leaves no half-made database behind.
        let building = database + ".init"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: building + suffix) }
        // The clock of what init records: now (a demonstration sets it to each moment of its history).
        let clock = ManualClock(Timestamp(Date()))
        let store = try CaseStore(path: building, policy: policy, clock: clock, rooming: Hub.recording(decisionLog: decisionLog))
        var demoSignIns: [DemoConference.SignIn] = []
        do {
            try await store.addUnit(Unit(id: Self.officeUnit, name: office, kind: .petitionBureau))
            try await store.addPerson(Person(id: Self.adminPerson, name: "系统管理员", unit: Self.officeUnit, roles: [.admin, .coordinator]))
            if let conference { try await store.setConferenceName(conference) }
            if let pattern { try await store.setNumberPattern(pattern) }
            guard let digest = CaseStore.certificateDigest(fingerprintHex: admin.fingerprintSHA256) else {
                throw InitError(description: "the admin certificate has no usable fingerprint")
            }
            _ = try await store.addCredential(person: Self.adminPerson, kind: .certificate, digest: digest, label: "initial admin certificate", at: Timestamp(Date()))
            if demo { demoSignIns = try await DemoConference.make(in: store, clock: clock) }
            try await store.backup(to: database)
        } catch {
            store.close()
            throw error
        }
        store.close()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: building + suffix) }
        return Created(adminCertificate: adminCertificate, adminKey: adminKey, adminFingerprint: admin.fingerprintSHA256, demo: demoSignIns)
    }

    /// The schema versions an open of the database will migrate between, when it will (nil for
    /// a current database, a newer one — refused on open — or one that cannot be read here).
    func pendingSchemaUpgrade() -> (from: Int, to: Int)? {
        guard FileManager.default.fileExists(atPath: database),
              let connection = try? SQLiteConnection(path: database, readOnly: true),
              let version = try? Migrator.currentVersion(of: connection),
              version < HubSchema.latestVersion else { return nil }
        return (version, HubSchema.latestVersion)
    }

    /// Reads a PEM file, with an error that names it.
    func read(_ file: String) throws -> String {
        do {
            return try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw InitError(description: "cannot read \(FileProblem.describe(error, path: file))")
        }
    }

    /// The server TLS configuration from this directory's files.
    private static func issueServerCertificate(names: [String], addresses: [String], authority: CertificateIdentity) throws -> CertificateIdentity {
        try CertificateFactory.issue(
            commonName: names.first ?? addresses.first ?? "localhost", organization: "Joint Conference",
            usage: .server(dnsNames: names, ipAddresses: addresses), signedBy: authority)
    }

    /// The server certificate in use (the first of `tls/server.pem`).
    func serverCertificateDetails() throws -> CertificateDetails {
        try CertificateDetails(pem: read(serverCertificate))
    }

    /// Issues a new server certificate and key, signed by the conference CA, for `names` and
    /// `addresses` (nil: those of the certificate in use), and puts them in place of the old
    /// pair (each file replaced at once; the key written 0600). A running hub uses them from its
    /// next start.
    static let authorityName = "ConferenceHub Conference CA"
    static let authorityOrganization = "Joint Conference"

    /// Renews the conference CA: a new certificate for the same name and key, valid 10 years from
    /// now, in `tls/ca.pem` and after the leaf in `tls/server.pem`. Every certificate it signed
    /// before verifies against the old certificate and the new one alike, so clients may take the
    /// new `ca.pem` at any time before the old one expires.
    func renewAuthority() throws -> CertificateDetails {
        let key = try read(caKey)
        let renewed = try CertificateFactory.makeAuthority(
            commonName: Self.authorityName, organization: Self.authorityOrganization, keyPEM: key)
        guard let leaf = try read(serverCertificate).components(separatedBy: "-----END CERTIFICATE-----").first else {
            throw InitError(description: "\(serverCertificate) holds no certificate")
        }
        try SecureFile.replace(caCertificate, contents: renewed.certificatePEM, mode: 0o644)
        try SecureFile.replace(serverCertificate, contents: leaf + "-----END CERTIFICATE-----\n" + renewed.certificatePEM, mode: 0o644)
        return try CertificateDetails(pem: renewed.certificatePEM)
    }

    func renewServerCertificate(names: [String]?, addresses: [String]?) throws -> CertificateDetails {
        let current = try serverCertificateDetails()
        let dnsNames = names ?? current.dnsNames
        let ipAddresses = addresses ?? current.ipAddresses
        guard !(dnsNames.isEmpty && ipAddresses.isEmpty) else {
            throw InitError(description: "a server certificate needs at least one --name or --address")
        }
        let authority = try CertificateIdentity(certificatePEM: read(caCertificate), privateKeyPEM: read(caKey))
        let server = try Self.issueServerCertificate(names: dnsNames, addresses: ipAddresses, authority: authority)
        // The key first: until the certificate follows, a restart would find a mismatched pair
        // and refuse to start rather than serve with the wrong key.
        try SecureFile.replace(serverKey, contents: server.privateKeyPEM, mode: 0o600)
        try SecureFile.replace(serverCertificate, contents: server.certificatePEM + authority.certificatePEM, mode: 0o644)
        return try CertificateDetails(pem: server.certificatePEM)
    }

    func serverTLS(clientCertificateMode: ClientCertificateMode) throws -> TLSConfiguration {
        try .server(
            certificateChainPEM: read(serverCertificate), privateKeyPEM: read(serverKey),
            trustRootsPEM: read(caCertificate), clientCertificateMode: clientCertificateMode)
    }
}
