// DurabilityTests: a child process writing under load is killed with SIGKILL; after reopening,
// every event it had acknowledged is there, the chains verify and the projections equal a rebuild.
import Foundation
import XCTest

@testable import CaseCore

final class DurabilityTests: XCTestCase {
    /// The built `conference-hub` next to the test bundle.
    private var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("conference-hub")
    }

    func testAcknowledgedEventsSurviveSIGKILL() async throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw XCTSkip("conference-hub is not built next to the tests (\(executable.path))")
        }
        let directory = NSTemporaryDirectory() + "chub-durability-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = directory + "/hub.sqlite"

        let process = Process()
        process.executableURL = executable
        process.arguments = ["durability-probe", "--database", database, "--writers", "16", "--max-writes", "1000000"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()

        // Read acknowledgements until enough have arrived, then kill without warning.
        let reader = output.fileHandleForReading
        var text = ""
        var killed = false
        while true {
            let data = reader.availableData
            if data.isEmpty { break }  // EOF: the process is gone and the pipe is drained
            text += String(decoding: data, as: UTF8.self)
            if !killed, text.utf8.count > 600 * 12 {  // roughly 600 acknowledgements
                kill(process.processIdentifier, SIGKILL)
                killed = true
            }
        }
        process.waitUntilExit()
        XCTAssertTrue(killed, "the probe ended before it was killed:\n\(text.suffix(500))")
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)

        // Only whole lines count as acknowledged.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        var acknowledged: [Int64: Int64] = [:]  // case → highest acknowledged sequence
        for line in lines {
            let fields = line.split(separator: " ")
            guard fields.count == 3, fields[0] == "ack", let id = Int64(fields[1]), let sequence = Int64(fields[2]) else {
                return XCTFail("unexpected line `\(line)`")
            }
            acknowledged[id] = max(acknowledged[id] ?? 0, sequence)
        }
        XCTAssertGreaterThan(acknowledged.values.reduce(0, +), 500)

        let store = try CaseStore(path: database)
        defer { store.close() }
        for (id, sequence) in acknowledged {
            let history = try await store.history(of: CaseID(id))
            XCTAssertGreaterThanOrEqual(Int64(history.count), sequence, "case-\(id): acknowledged event \(sequence) is missing")
        }
        let violations = try await store.verifyChains()
        XCTAssertEqual(violations, [])
        let mismatches = try await store.projectionMismatches()
        XCTAssertEqual(mismatches, [])
    }
}
