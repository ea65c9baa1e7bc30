// DataDirectoryTests: first-start initialization — files, modes, refusal of a partial directory —
// and the `serve` executable end to end: first run, connect, SIGTERM, exit 0.
import CaseCore
import Foundation
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class DataDirectoryTests: XCTestCase {
    func testInitializeCreatesCertificatesKeysAndDatabaseWithPrivateModes() async throws {
        let directory = DataDirectory(try temporaryDirectory() + "/hub-data")
        XCTAssertFalse(directory.isInitialized)
        let created = try await directory.initialize()
        XCTAssertTrue(directory.isInitialized)
        for key in [directory.caKey, directory.serverKey, created.adminKey] {
            XCTAssertEqual(SecureFile.mode(of: key), 0o600, key)
        }
        XCTAssertEqual(SecureFile.mode(of: directory.root), 0o700)
        XCTAssertEqual(SecureFile.mode(of: directory.caCertificate), 0o644)

        // The server identity loads and is signed by the CA; the admin credential is a client cert.
        let tls = try directory.serverTLS(clientCertificateMode: .optional)
        XCTAssertNoThrow(try TLSContext(role: .server, configuration: tls))
        let admin = try CertificateIdentity(
            certificatePEM: directory.read(created.adminCertificate), privateKeyPEM: directory.read(created.adminKey))
        XCTAssertEqual(admin.fingerprintSHA256, created.adminFingerprint)
        XCTAssertEqual(admin.subject, "CN=admin,O=Joint Conference")

        let database = try HubSchema.open(path: directory.database)
        XCTAssertEqual(try Migrator.currentVersion(of: database), HubSchema.latestVersion)
        // The admin certificate identifies the administrator (a coordinator of the conference office).
        let store = try CaseStore(path: directory.database)
        defer { store.close() }
        let identity = try await store.identity(forDigest: CaseStore.certificateDigest(fingerprintHex: created.adminFingerprint)!, kind: .certificate)
        XCTAssertEqual(identity?.person.id, PersonID("admin"))
        XCTAssertEqual(identity?.person.roles, [.admin, .coordinator])
        // No English default in a Chinese console: the office and the administrator have Chinese names.
        let units = try await store.units()
        XCTAssertEqual(units.first { $0.id == DataDirectory.officeUnit }?.name, "联席会议办公室")
        XCTAssertEqual(identity?.person.name, "系统管理员")
        let unnamed = try await store.conferenceName()
        XCTAssertNil(unnamed)
    }

    func testInitNamesTheConferenceAndItsOffice() async throws {
        let directory = DataDirectory(try temporaryDirectory() + "/hub-data")
        _ = try await directory.initialize(conference: "某某市信访工作联席会议", office: "市联席会议办公室")
        let store = try CaseStore(path: directory.database)
        defer { store.close() }
        let conference = try await store.conferenceName()
        XCTAssertEqual(conference, "某某市信访工作联席会议")
        let units = try await store.units()
        XCTAssertEqual(units.map(\.name), ["市联席会议办公室"])
        // The schema names it for the console.
        let schema = try await Schema.output(store: store, configuration: HubConfiguration())
        XCTAssertEqual(schema.conference, "某某市信访工作联席会议")
        // A name the store would refuse is refused before anything is made.
        let refused = DataDirectory(try temporaryDirectory() + "/hub-data")
        do {
            _ = try await refused.initialize(conference: String(repeating: "名", count: 500))
            XCTFail("a name of 500 characters was taken")
        } catch {
            XCTAssertFalse(FileManager.default.fileExists(atPath: refused.root), "nothing made: \(error)")
        }
    }

    func testADemonstrationConferenceIsMadeOnRequestWithItsSignInsShownOnce() async throws {
        let directory = DataDirectory(try temporaryDirectory() + "/hub-data")
        let created = try await directory.initialize(conference: "某某市信访工作联席会议", demo: true)
        let store = try CaseStore(path: directory.database)
        defer { store.close() }
        // Every person has a one-time password that signs in only to choose their own.
        XCTAssertEqual(created.demo.map(\.member.id), DemoConference.members.map(\.id))
        for signIn in created.demo {
            let stored = try await store.password(of: PersonID(signIn.member.id))
            XCTAssertEqual(stored?.mustChange, true, signIn.member.id)
            XCTAssertEqual(stored?.hash.verifies(signIn.password), true, signIn.member.id)
            XCTAssertGreaterThanOrEqual(signIn.password.count, 10)
        }
        XCTAssertEqual(Set(created.demo.map(\.password)).count, created.demo.count, "each password its own")
        let roles = Set(DemoConference.members.flatMap(\.roles))
        XCTAssertEqual(roles, [.coordinator, .auditor, .leader, .officer], "someone for each part but admin (the certificate is the admin's)")
        // Cases at different stages, one in a live dispute, each with its registration number.
        let summaries = try await store.caseSummaries(matching: CaseFilter(), at: Timestamp(Date()))
        XCTAssertEqual(summaries.map(\.status), [.inHandling, .closed, .answered, .accepted, .disputed, .negotiating])
        // Registered over the last weeks, the earliest first, each limit where a day's would be:
        // some past half their time.
        XCTAssertEqual(summaries.map(\.registeredAt), summaries.map(\.registeredAt).sorted())
        XCTAssertGreaterThan(Date().timeIntervalSince(summaries[0].registeredAt.date), 40 * 86_400)
        let warnings = try await store.deadlineWarnings(atOrAbove: .half, at: Timestamp(Date()))
        XCTAssertGreaterThanOrEqual(warnings.entries.count, 2, "\(warnings)")
        XCTAssertEqual(warnings.entries.count, warnings.counts.values.reduce(0, +))
        XCTAssertTrue(store.number(of: summaries[0].id).hasSuffix("第0001号"))
        // The dispute waits for the decision of the two departments' common superior (the city
        // government's leader), and a meeting on it is convened for tomorrow.
        let leader = Actor(person: PersonID("lijianguo"), unit: UnitID("city-government"), roles: [.leader])
        let owed = try await store.workItems(for: leader, limit: 100).items
        XCTAssertTrue(owed.contains { $0.item.kind == .decideLead && $0.item.caseID == summaries[4].id }, "\(owed.map(\.item.kind))")
        let meetings = try await store.meetings()
        XCTAssertEqual(meetings.map(\.status), [.sealed, .scheduled])
        let zone = store.policy.timeZone
        XCTAssertEqual(zone.localDate(of: meetings[1].scheduledAt.date), zone.localDate(of: Date()).adding(days: 1))
        XCTAssertEqual(meetings[1].agenda.map(\.caseID), [summaries[4].id])
        XCTAssertEqual(meetings[1].chair, PersonID("lijianguo"))
        // This morning's meeting left a decision record: its outcome, the sign-offs and the seal,
        // under a signed checkpoint that verifies with the conference's key.
        let entries = try await store.decisionEntries()
        XCTAssertEqual(entries.map(\.kind), ["outcome", "signoff", "signoff", "seal"])
        let problems = try await store.verifyDecisionLog(publicKey: try directory.decisionLogIdentity().signer.publicKey)
        XCTAssertEqual(problems, [])
        // The sign-ins are printed with the first-run message, once; without --demo there are none.
        let text = FirstRunMessage.text(directory: directory, created: created, host: "127.0.0.1", port: 8443)
        for signIn in created.demo { XCTAssertTrue(text.contains(signIn.password) && text.contains(signIn.member.name)) }
        let plain = try await DataDirectory(try temporaryDirectory() + "/hub-data").initialize()
        XCTAssertEqual(plain.demo.count, 0)
        XCTAssertFalse(FirstRunMessage.text(directory: directory, created: plain, host: "127.0.0.1", port: 8443).contains("demonstration"))
    }

    func testInitChoosesHowRegistrationNumbersAreWritten() async throws {
        let directory = DataDirectory(try temporaryDirectory() + "/hub-data")
        _ = try await directory.initialize(numbering: "某信访〔{year}〕{seq:5}号")
        let store = try CaseStore(path: directory.database)
        defer { store.close() }
        XCTAssertEqual(store.numbering.pattern.format(year: 2026, sequence: 12), "某信访〔2026〕00012号")
        // A pattern the store would refuse is refused before anything is made, saying why.
        let refused = DataDirectory(try temporaryDirectory() + "/hub-data")
        do {
            _ = try await refused.initialize(numbering: "第{seq}号")
            XCTFail("a pattern without the year was taken")
        } catch {
            XCTAssertTrue("\(error)".contains("{year} and {seq} once each"), "\(error)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: refused.root), "nothing made")
        }
    }

    func testOneServeHoldsADataDirectoryAtATime() throws {
        let directory = DataDirectory(try temporaryDirectory() + "/hub-data")
        var first: ServeLock? = try ServeLock.acquire(directory)
        XCTAssertEqual(SecureFile.mode(of: directory.root), 0o700, "made if missing, private")
        XCTAssertEqual(SecureFile.mode(of: directory.path(ServeLock.fileName)), 0o600)
        XCTAssertEqual(try String(contentsOfFile: directory.path(ServeLock.fileName), encoding: .utf8), "\(getpid())\n")
        XCTAssertThrowsError(try ServeLock.acquire(directory)) { error in
            XCTAssertTrue("\(error)".contains("is in use by another conference-hub serve (process \(getpid()))"), "\(error)")
        }
        XCTAssertNotNil(first)
        first = nil  // released as the process ends
        XCTAssertNoThrow(try ServeLock.acquire(directory), "the file left behind does not hold the directory")
    }

    func testASecondServeOnTheSameDataDirectoryIsRefused() throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw XCTSkip("conference-hub is not built next to the tests (\(executable.path))")
        }
        let root = try temporaryDirectory() + "/hub-data"
        let first = try ChildProcess(executable, ["serve", "--data-dir", root, "--port", "0", "--internal-port", "0", "--drain-seconds", "0", "--log-level", "error"])
        let text = ChildProcess.read(first.output, until: "listening on")
        XCTAssertTrue(text.contains("listening on"), text)
        let second = try ChildProcess(executable, ["serve", "--data-dir", root, "--port", "0", "--internal-port", "0", "--drain-seconds", "0", "--log-level", "error"])
        XCTAssertTrue(second.waitForExit(seconds: 60), "the second hub should refuse to start")
        XCTAssertNotEqual(second.process.terminationStatus, 0)
        let errors = second.remainingErrors()
        XCTAssertTrue(errors.contains("is in use by another conference-hub serve (process \(first.process.processIdentifier))"), errors)
        first.process.terminate()
        XCTAssertTrue(first.waitForExit(seconds: 60))
        XCTAssertEqual(first.process.terminationStatus, 0)
    }

    func testCertificateDetailsReadTheNamesAndTheExpiry() throws {
        let issued = Date(timeIntervalSince1970: 1_790_000_000)
        let certificate = try CertificateFactory.issue(
            commonName: "hub.example.org", usage: .server(dnsNames: ["hub.example.org", "localhost"], ipAddresses: ["10.0.0.5", "::1"]),
            notBefore: issued, validity: 90 * 86_400, signedBy: TestPKI.authority)
        let details = try CertificateDetails(pem: certificate.certificatePEM)
        XCTAssertEqual(details.commonName, "hub.example.org")
        XCTAssertEqual(details.dnsNames, ["hub.example.org", "localhost"])
        XCTAssertEqual(details.ipAddresses, ["10.0.0.5", "::1"])
        XCTAssertEqual(details.notAfter, issued.addingTimeInterval(90 * 86_400))
        XCTAssertEqual(details.fingerprintSHA256, certificate.fingerprintSHA256)
        XCTAssertEqual(details.daysLeft(at: issued), 90)
        XCTAssertEqual(details.daysLeft(at: issued.addingTimeInterval(91 * 86_400)), -1)

        XCTAssertNil(CertificateExpiry.warning(details, now: issued), "90 days left: quiet")
        let soon = try XCTUnwrap(CertificateExpiry.warning(details, now: issued.addingTimeInterval(80 * 86_400)))
        XCTAssertEqual(soon.level, .warning)
        XCTAssertTrue(soon.message.hasPrefix("the server certificate expires on 2026-12-20, in 10 days;"), soon.message)
        let late = try XCTUnwrap(CertificateExpiry.warning(details, now: issued.addingTimeInterval(90 * 86_400)))
        XCTAssertEqual(late.level, .error)
        XCTAssertTrue(late.message.contains("admin server-cert --renew"), late.message)
    }

    func testTheServerCertificateIsRenewedInPlace() async throws {
        let directory = DataDirectory(try temporaryDirectory() + "/hub-data")
        _ = try await directory.initialize()
        let original = try directory.serverCertificateDetails()
        XCTAssertEqual(original.dnsNames, ["localhost"])
        XCTAssertEqual(original.ipAddresses, ["127.0.0.1", "::1"])

        // Same names by default; a new key and certificate, still signed by the CA.
        let renewed = try directory.renewServerCertificate(names: nil, addresses: nil)
        XCTAssertEqual(renewed.dnsNames, original.dnsNames)
        XCTAssertEqual(renewed.ipAddresses, original.ipAddresses)
        XCTAssertNotEqual(renewed.fingerprintSHA256, original.fingerprintSHA256)
        XCTAssertEqual(try directory.serverCertificateDetails(), renewed)
        XCTAssertEqual(SecureFile.mode(of: directory.serverKey), 0o600)
        XCTAssertNoThrow(try TLSContext(role: .server, configuration: directory.serverTLS(clientCertificateMode: .optional)),
                         "the key matches the certificate")
        // Other names.
        let moved = try directory.renewServerCertificate(names: ["hub.example.org"], addresses: ["10.0.0.5"])
        XCTAssertEqual(moved.dnsNames, ["hub.example.org"])
        XCTAssertEqual(moved.ipAddresses, ["10.0.0.5"])
        XCTAssertThrowsError(try directory.renewServerCertificate(names: [], addresses: []))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path("tls")).filter { $0.contains(".new-") }
        XCTAssertEqual(leftovers, [])
    }

    func testTheConferenceCAIsRenewedForTheSameNameAndKey() async throws {
        let directory = DataDirectory(try temporaryDirectory() + "/hub-data")
        _ = try await directory.initialize()
        let oldAuthority = try directory.read(directory.caCertificate)
        let oldDetails = try CertificateDetails(pem: oldAuthority)
        // A person's certificate signed before the renewal.
        let authority = try CertificateIdentity(certificatePEM: oldAuthority, privateKeyPEM: directory.read(directory.caKey))
        let person = try CertificateFactory.issue(commonName: "p-wang", usage: .client, signedBy: authority)

        let renewed = try directory.renewAuthority()
        XCTAssertNotEqual(renewed.fingerprintSHA256, oldDetails.fingerprintSHA256)
        XCTAssertGreaterThanOrEqual(renewed.notAfter, oldDetails.notAfter, "10 years from now")
        XCTAssertEqual(renewed.commonName, oldDetails.commonName)
        let newAuthority = try directory.read(directory.caCertificate)
        XCTAssertTrue(try directory.read(directory.serverCertificate).hasSuffix(newAuthority), "server.pem carries the new CA after the leaf")
        XCTAssertEqual(SecureFile.mode(of: directory.caKey), 0o600)

        // A client that trusts only the new CA accepts the server's certificate (signed before),
        // and a server that trusts only the new CA accepts the person's certificate (signed before).
        var server = try directory.serverTLS(clientCertificateMode: .required)
        server.trustRootsPEM = newAuthority
        let client = TLSConfiguration.client(trustRootsPEM: newAuthority, serverHostname: "localhost",
                                             certificateChainPEM: person.certificatePEM, privateKeyPEM: person.privateKeyPEM)
        let pair = try TLSPair(client: client, server: server)
        defer { pair.finish() }
        try pair.connect()
        let completed = pair.serverRecorder.events.compactMap { $0 as? TLSHandshakeCompleted }.first
        XCTAssertEqual(completed?.peerCertificate?.commonName, "p-wang")
        // And one that still trusts the old CA accepts the server as well.
        let stillOld = try TLSPair(client: TLSConfiguration.client(trustRootsPEM: oldAuthority, serverHostname: "localhost"),
                                   server: try directory.serverTLS(clientCertificateMode: .optional))
        defer { stillOld.finish() }
        try stillOld.connect()
        XCTAssertNotNil(stillOld.clientRecorder.events.first { $0 is TLSHandshakeCompleted })
    }

    func testAdminServerCertShowsAndRenews() async throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw XCTSkip("conference-hub is not built next to the tests (\(executable.path))")
        }
        let root = try temporaryDirectory() + "/hub-data"
        _ = try await DataDirectory(root).initialize()
        let shown = try await runProcess(executable, ["admin", "server-cert", "--data-dir", root], input: "")
        XCTAssertEqual(shown.0, 0, shown.2)
        XCTAssertTrue(shown.1.hasPrefix("server certificate: localhost, 127.0.0.1, ::1; expires "), shown.1)
        XCTAssertTrue(shown.1.contains("(824 days left)") || shown.1.contains("(825 days left)"), shown.1)
        let renewed = try await runProcess(executable, ["admin", "server-cert", "--data-dir", root, "--renew", "--name", "hub.example.org"], input: "")
        XCTAssertEqual(renewed.0, 0, renewed.2)
        XCTAssertTrue(renewed.1.hasPrefix("issued a new server certificate: hub.example.org; expires "), renewed.1)
        XCTAssertTrue(renewed.1.contains("restart `conference-hub serve` to use it"), renewed.1)
        let misuse = try await runProcess(executable, ["admin", "server-cert", "--data-dir", root, "--name", "x"], input: "")
        XCTAssertEqual(misuse.0, 64, "--name without --renew is a usage error")
    }

    func testPartlyInitializedDirectoryIsRefusedUnchanged() async throws {
        let root = try temporaryDirectory() + "/hub-data"
        let directory = DataDirectory(root)
        try FileManager.default.createDirectory(atPath: root + "/tls", withIntermediateDirectories: true)
        try "not a key".write(toFile: directory.caKey, atomically: true, encoding: .utf8)
        do {
            _ = try await directory.initialize()
            XCTFail("a partly initialized directory must be refused")
        } catch {
            XCTAssertTrue("\(error)".contains("partly initialized"), "\(error)")
        }
        XCTAssertEqual(try String(contentsOfFile: directory.caKey, encoding: .utf8), "not a key")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.caCertificate))
    }

    /// The built `conference-hub` next to the test bundle.
    private var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("conference-hub")
    }

    func testServeInitializesListensAndExitsCleanlyOnSIGTERM() async throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw XCTSkip("conference-hub is not built next to the tests (\(executable.path))")
        }
        let root = try temporaryDirectory() + "/hub-data"
        let child = try ChildProcess(executable, ["serve", "--data-dir", root, "--port", "0", "--internal-port", "0", "--drain-seconds", "0", "--log-level", "warning"])
        let process = child.process

        // Read stdout until the listening line names the port.
        let listening = /listening on wss:\/\/127\.0\.0\.1:(\d+)\/v1\/ws/
        let text = ChildProcess.read(child.output) { $0.firstMatch(of: listening) != nil }
        let match = text.firstMatch(of: listening)
        let boundPort = try XCTUnwrap(match.flatMap { Int($0.1) }, "no listening line in: \(text)")
        XCTAssertTrue(text.contains("Initialized"), "first start prints what it created")
        XCTAssertTrue(text.contains("credentials/admin/cert.pem"))

        // Connect as the admin with the credential the first start wrote.
        let directory = DataDirectory(root)
        let hub = try await HubTestServer.hub()  // only for its event loop group and helpers
        let (client, admin) = try await directory.connectAsAdmin(port: boundPort, group: hub.group)
        let reply = try await client.request(["id": "1", "type": "hello"])
        let certificate = (reply["result"] as? [String: Any])?["certificate"] as? [String: Any]
        XCTAssertEqual(certificate?["sha256"] as? String, admin.fingerprintSHA256)

        process.terminate()  // SIGTERM
        let close = try await client.closeFrame.get()
        XCTAssertEqual(close?.code, 1001, "shutdown closes WebSockets with going away")
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 0)
        try await hub.stop()
    }

    /// SIGTERM sent the moment `serve` says it listens is handled, not lost (its handler is in
    /// place before the line is printed). Five starts, to give a lost signal a chance to show.
    func testSIGTERMSentAsSoonAsServeListensStopsIt() throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw XCTSkip("conference-hub is not built next to the tests (\(executable.path))")
        }
        let root = try temporaryDirectory() + "/hub-data"
        for attempt in 1...5 {
            let child = try ChildProcess(executable, ["serve", "--data-dir", root, "--port", "0", "--internal-port", "0", "--drain-seconds", "0", "--log-level", "error"])
            _ = ChildProcess.read(child.output, until: "listening on")
            child.process.terminate()  // SIGTERM, at once
            // A lost signal leaves the hub running: give up (and fail) after a minute.
            guard child.waitForExit(seconds: 60) else {
                kill(child.process.processIdentifier, SIGKILL)
                XCTFail("attempt \(attempt): SIGTERM right after the listening line was lost")
                child.process.waitUntilExit()
                return
            }
            XCTAssertEqual(child.process.terminationStatus, 0, "attempt \(attempt)")
        }
    }

    /// `serve --parent-pid`: a hub whose starter is killed outright (as a bench can be, by
    /// SIGKILL, which it cannot handle) stops by itself instead of running on.
    func testServeStopsOnceTheProcessThatStartedItEnds() async throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw XCTSkip("conference-hub is not built next to the tests (\(executable.path))")
        }
        let root = try temporaryDirectory() + "/hub-data"
        // A shell starts the hub as its child, names it, and waits.
        let script = #""$0" serve --data-dir "$1" --port 0 --log-level info --parent-pid $$ & echo "hub $!"; wait"#
        let shell = try ChildProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", script, executable.path, root])
        let started = ChildProcess.read(shell.output, until: "listening on")
        let hubPID = try XCTUnwrap(started.firstMatch(of: /hub (\d+)/).flatMap { Int32($0.1) }, started)
        defer { kill(hubPID, SIGKILL) }  // should it not stop, the test fails and leaves nothing running
        XCTAssertTrue(started.contains("listening on"), started)

        kill(shell.process.processIdentifier, SIGKILL)
        // The hub's standard error ends with its last line once it has stopped (a minute at most).
        let log = ChildProcess.read(shell.errors) { $0.contains("stopped") }
        XCTAssertTrue(log.contains("reason=its parent process \(shell.process.processIdentifier) ended"), log)
        XCTAssertTrue(log.contains("stopped"), log)

        // A pid that is not the hub's parent is refused before anything is written.
        let elsewhere = try temporaryDirectory() + "/hub-data"
        let (status, _, errors) = try await runProcess(executable, ["serve", "--data-dir", elsewhere, "--port", "0", "--internal-port", "0", "--parent-pid", "2"], input: "")
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(errors.contains("process 2 is not this hub's parent"), errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: elsewhere))
    }

    func testServeSaysWhenItUpgradesTheDatabaseSchema() async throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw XCTSkip("conference-hub is not built next to the tests (\(executable.path))")
        }
        let directory = DataDirectory(try temporaryDirectory() + "/hub-data")
        _ = try await directory.initialize()
        XCTAssertNil(directory.pendingSchemaUpgrade(), "a new database is current")
        // The same directory with a database from schema version 6.
        try FileManager.default.removeItem(atPath: directory.database)
        do {
            let old = try SQLiteConnection(path: directory.database)
            try Migrator.migrate(old, migrations: Array(HubSchema.migrations.prefix(6)))
        }
        let pending = try XCTUnwrap(directory.pendingSchemaUpgrade())
        XCTAssertEqual(pending.from, 6)
        XCTAssertEqual(pending.to, HubSchema.latestVersion)

        let child = try ChildProcess(executable, ["serve", "--data-dir", directory.root, "--port", "0", "--internal-port", "0", "--drain-seconds", "0", "--log-level", "notice"])
        let text = ChildProcess.read(child.output, until: "listening on")
        XCTAssertTrue(text.contains("listening on"), text)
        child.process.terminate()
        let log = child.remainingErrors()
        child.process.waitUntilExit()
        XCTAssertEqual(child.process.terminationStatus, 0, log)
        XCTAssertTrue(log.contains("upgrading the database schema"), log)
        XCTAssertTrue(log.contains("database schema upgraded"), log)
        XCTAssertNil(directory.pendingSchemaUpgrade(), "upgraded")
    }
}
