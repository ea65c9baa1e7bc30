// AdminCommandTests: `conference-hub admin` against a data directory — units, people, a token and
// a certificate that then authenticate to a hub on that directory, and revocation.
import CaseCore
import Foundation
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class AdminCommandTests: XCTestCase {
    private var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("conference-hub")
    }

    /// Runs `conference-hub ARGS`; returns (exit status, standard output, standard error).
    private func run(_ arguments: [String]) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, out, err)
    }

    func testAdminManagesUnitsPeopleAndCredentials() async throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else { throw XCTSkip("conference-hub not built") }
        let root = try temporaryDirectory()
        let data = root + "/hub-data"
        XCTAssertEqual(try run(["init", "--data-dir", data]).0, 0)
        XCTAssertEqual(try run(["admin", "unit", "add", "--data-dir", data, "--id", "housing", "--name", "Housing Bureau"]).0, 0)
        let duplicate = try run(["admin", "unit", "add", "--data-dir", data, "--id", "housing", "--name", "Again"])
        XCTAssertEqual(duplicate.0, 1, "a refusal, not a usage error")
        XCTAssertTrue(duplicate.2.contains("unit `housing` already exists"), duplicate.2)
        XCTAssertFalse(duplicate.2.contains("Usage:"), duplicate.2)
        let orphan = try run(["admin", "unit", "add", "--data-dir", data, "--id", "estate", "--name", "Estate", "--parent", "city"])
        XCTAssertEqual(orphan.0, 1)
        XCTAssertTrue(orphan.2.contains("no unit `city` to be the parent"), orphan.2)
        XCTAssertEqual(try run(["admin", "unit", "add", "--data-dir", data, "--id", "bad id!", "--name", "x"]).0, 1)
        XCTAssertEqual(try run(["admin", "unit", "add", "--data-dir", data, "--id", "x"]).0, 64, "a missing option is a usage error")
        XCTAssertEqual(try run(["admin", "person", "add", "--data-dir", data, "--id", "p-wang", "--name", "Wang Fang",
                                "--unit", "housing", "--role", "officer"]).0, 0)
        let noUnit = try run(["admin", "person", "add", "--data-dir", data, "--id", "p-x", "--name", "X", "--unit", "nowhere", "--role", "officer"])
        XCTAssertEqual(noUnit.0, 1)
        XCTAssertTrue(noUnit.2.contains("no unit `nowhere`; add it first"), noUnit.2)
        let twice = try run(["admin", "person", "add", "--data-dir", data, "--id", "p-wang", "--name", "W", "--unit", "housing", "--role", "leader"])
        XCTAssertEqual(twice.0, 1)
        XCTAssertTrue(twice.2.contains("person `p-wang` already exists"), twice.2)
        XCTAssertTrue(try run(["admin", "person", "list", "--data-dir", data]).1.contains("p-wang\thousing\tofficer\tWang Fang"))

        let issued = try run(["admin", "credential", "issue", "--data-dir", data, "--person", "p-wang", "--token"])
        XCTAssertEqual(issued.0, 0, issued.2)
        let token = try XCTUnwrap(issued.1.split(separator: "\n").last.map(String.init))
        XCTAssertTrue(token.hasPrefix("chub_"))
        let certificateDirectory = root + "/wang"
        XCTAssertEqual(try run(["admin", "credential", "issue", "--data-dir", data, "--person", "p-wang", "--cert", certificateDirectory]).0, 0)
        XCTAssertEqual(SecureFile.mode(of: certificateDirectory + "/key.pem"), 0o600)
        let listing = try run(["admin", "credential", "list", "--data-dir", data, "--person", "p-wang"]).1
        XCTAssertFalse(listing.contains(token), "secrets are never listed")
        XCTAssertEqual(listing.split(separator: "\n").count, 2)

        // Both credentials identify p-wang to a hub on this directory.
        let store = try CaseStore(path: DataDirectory(data).database)
        defer { store.close() }
        let byToken = try await store.identity(forDigest: CaseStore.tokenDigest(token), kind: .token)
        XCTAssertEqual(byToken?.person.id, PersonID("p-wang"))
        let certificate = try CertificateIdentity(
            certificatePEM: String(contentsOfFile: certificateDirectory + "/cert.pem", encoding: .utf8),
            privateKeyPEM: String(contentsOfFile: certificateDirectory + "/key.pem", encoding: .utf8))
        let byCertificate = try await store.identity(forDigest: CaseStore.certificateDigest(fingerprintHex: certificate.fingerprintSHA256)!, kind: .certificate)
        XCTAssertEqual(byCertificate?.person.id, PersonID("p-wang"))
        let ca = try String(contentsOfFile: certificateDirectory + "/ca.pem", encoding: .utf8)
        XCTAssertEqual(ca, try String(contentsOfFile: DataDirectory(data).caCertificate, encoding: .utf8))

        let credentials = try await store.credentials(of: PersonID("p-wang"))
        let tokenCredential = try XCTUnwrap(credentials.first { $0.kind == .token })
        XCTAssertEqual(try run(["admin", "credential", "revoke", "--data-dir", data, "\(tokenCredential.id)"]).0, 0)
        XCTAssertNotEqual(try run(["admin", "credential", "revoke", "--data-dir", data, "\(tokenCredential.id)"]).0, 0, "already revoked")
        let revoked = try await store.identity(forDigest: CaseStore.tokenDigest(token), kind: .token)
        XCTAssertNil(revoked)

        // A backup while the store is open; a second one to the same place is refused.
        let backup = try run(["admin", "backup", "--data-dir", data, "--to", root + "/backup"])
        XCTAssertEqual(backup.0, 0, backup.2)
        XCTAssertTrue(backup.1.contains("integrity ok"), backup.1)
        XCTAssertTrue(try run(["admin", "person", "list", "--data-dir", root + "/backup"]).1.contains("p-wang\thousing\tofficer\tWang Fang"))
        let again = try run(["admin", "backup", "--data-dir", data, "--to", root + "/backup"])
        XCTAssertNotEqual(again.0, 0)
        XCTAssertTrue(again.2.contains("already exists"), again.2)
    }

    func testVerifyChecksTheRecordsAndMinutesExport() async throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else { throw XCTSkip("conference-hub not built") }
        let data = try temporaryDirectory() + "/hub-data"
        XCTAssertEqual(try run(["init", "--data-dir", data]).0, 0)
        let directory = DataDirectory(data)
        XCTAssertEqual(SecureFile.mode(of: directory.decisionKey), 0o600)
        // A meeting with two withdrawn proposals, adjourned and sealed, puts three entries in the decision log.
        do {
            let store = try CaseStore(path: directory.database, rooming: RoomingConfiguration(decisionLogIdentity: try directory.decisionLogIdentity()))
            defer { store.close() }
            let coordinator = Actor(person: DataDirectory.adminPerson, unit: DataDirectory.officeUnit, roles: [.coordinator])
            try await store.addUnit(Unit(id: UnitID("housing"), name: "Housing", kind: .department))
            let caseID = try await store.register(Registration(
                title: "Case", summary: "", category: .claim, channel: .letter, receivedOn: LocalDate("2026-11-01")!,
                involvedUnits: [UnitID("housing")], petitioner: Petitioner(name: "Li Si", contact: "")), by: coordinator, open: true).caseID
            let meeting = try await store.convene(Convening(
                title: "Meeting", scheduledAt: Timestamp(Date()), invited: [.init(unit: UnitID("housing"), required: true)],
                agenda: [.init(caseID: caseID, description: "Item")]), by: coordinator).meetingID
            try await store.performMeeting(.sessionOpened, on: meeting, by: coordinator)
            try await store.performMeeting(.itemOpened(item: 1), on: meeting, by: coordinator)
            for version in 1...2 {
                try await store.performMeeting(.proposalTabled(item: 1, text: "Proposal \(version)", effects: ProposalEffects()), on: meeting, by: coordinator)
                try await store.performMeeting(.proposalClosed(item: 1, closing: .withdraw, outcome: nil), on: meeting, by: coordinator)
            }
            try await store.performMeeting(.itemClosed(item: 1), on: meeting, by: coordinator)
            try await store.performMeeting(.adjourned, on: meeting, by: coordinator)
        }
        let clean = try run(["verify", "--data-dir", data])
        XCTAssertEqual(clean.0, 0, clean.1 + clean.2)
        XCTAssertTrue(clean.1.contains("case chains: intact"), clean.1)
        XCTAssertTrue(clean.1.contains("decision log: 3 entries"), "two outcomes and the seal (nobody took part, so nobody signs): " + clean.1)
        let minutes = try run(["minutes", "--data-dir", data, "--meeting", "meeting-1"])
        XCTAssertEqual(minutes.0, 0, minutes.2)
        XCTAssertTrue(minutes.1.hasPrefix("# Minutes: Meeting (meeting-1)"), minutes.1)
        XCTAssertTrue(minutes.1.contains("- Outcome: withdrawn"), minutes.1)
        let json = try run(["minutes", "--data-dir", data, "--meeting", "1", "--format", "json"])
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(json.1.utf8)) as? [String: Any])

        do {
            let connection = try SQLiteConnection(path: directory.database)
            try connection.run("UPDATE decision_log SET body = replace(body, 'Proposal 1', 'Proposal 9') WHERE idx = 0")
            try connection.run("UPDATE case_events SET body = replace(body, 'Li Si', 'Someone') WHERE seq = 1")
        }
        let tampered = try run(["verify", "--data-dir", data])
        XCTAssertEqual(tampered.0, 1)
        XCTAssertTrue(tampered.1.contains("decision log entry 0: edited"), tampered.1)
        XCTAssertTrue(tampered.1.contains("case chains: 1 broken"), tampered.1)
    }

    func testAdminRefusesAnUninitializedDirectory() throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else { throw XCTSkip("conference-hub not built") }
        let result = try run(["admin", "unit", "list", "--data-dir", try temporaryDirectory() + "/nothing"])
        XCTAssertNotEqual(result.0, 0)
        XCTAssertTrue(result.2.contains("not an initialized data directory"), result.2)
    }

    func testAdminSetsAOneTimePasswordAndTakesItAway() async throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else { throw XCTSkip("conference-hub not built") }
        let data = try temporaryDirectory() + "/hub-data"
        XCTAssertEqual(try run(["init", "--data-dir", data]).0, 0)
        let set = try run(["admin", "person", "password", "--data-dir", data, "admin"])
        XCTAssertEqual(set.0, 0, set.2)
        let password = try XCTUnwrap(set.1.split(separator: "\n").last.map(String.init))
        XCTAssertEqual(password.count, 14)
        let store = try CaseStore(path: data + "/hub.sqlite")
        let stored = try await store.password(of: PersonID("admin"))
        XCTAssertEqual(stored?.mustChange, true, "one-time")
        XCTAssertEqual(stored?.hash.parameters, .standard)
        XCTAssertTrue(stored?.hash.verifies(password) ?? false)
        store.close()
        let unknown = try run(["admin", "person", "password", "--data-dir", data, "nobody"])
        XCTAssertEqual(unknown.0, 1)
        XCTAssertTrue(unknown.2.contains("no person `nobody`"), unknown.2)
        XCTAssertEqual(try run(["admin", "person", "password", "--data-dir", data, "admin", "--remove"]).0, 0)
        let again = try run(["admin", "person", "password", "--data-dir", data, "admin", "--remove"])
        XCTAssertEqual(again.0, 1)
        XCTAssertTrue(again.2.contains("`admin` has no password"), again.2)
    }
}
