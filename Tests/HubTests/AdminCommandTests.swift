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
        XCTAssertNotEqual(duplicate.0, 0)
        XCTAssertTrue(duplicate.2.contains("already exist"), duplicate.2)
        XCTAssertEqual(try run(["admin", "person", "add", "--data-dir", data, "--id", "p-wang", "--name", "Wang Fang",
                                "--unit", "housing", "--role", "officer"]).0, 0)
        let noUnit = try run(["admin", "person", "add", "--data-dir", data, "--id", "p-x", "--name", "X", "--unit", "nowhere", "--role", "officer"])
        XCTAssertNotEqual(noUnit.0, 0)
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
    }

    func testAdminRefusesAnUninitializedDirectory() throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else { throw XCTSkip("conference-hub not built") }
        let result = try run(["admin", "unit", "list", "--data-dir", try temporaryDirectory() + "/nothing"])
        XCTAssertNotEqual(result.0, 0)
        XCTAssertTrue(result.2.contains("not an initialized data directory"), result.2)
    }
}
