// ServeSettingsTests: `serve` reads its settings from flags, CONFERENCEHUB_* variables, a JSON
// file and one set of defaults, in that order; refuses bad values before anything starts, with
// every problem named; and prints what is in effect with secrets hidden.
@testable import ConferenceHub
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

final class ServeSettingsTests: XCTestCase {
    private func read(_ arguments: [String] = [], environment: [String: String] = [:], file: String? = nil) async throws -> ResolvedSettings {
        let command = try ServeCommand.parse(arguments)
        var path: String?
        if let file {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("settings-\(UUID().uuidString).json")
            try file.write(to: url, atomically: true, encoding: .utf8)
            path = url.path
        }
        return try await SettingsReader.read(flags: command.flagValues, environment: environment, configFile: path)
    }

    private func problems(_ arguments: [String] = [], environment: [String: String] = [:], file: String? = nil) async -> [String] {
        do {
            _ = try await read(arguments, environment: environment, file: file)
            return []
        } catch let error as SettingsError {
            return error.problems
        } catch {
            return ["unexpected: \(error)"]
        }
    }

    func testDefaultsComeFromTheConfigurationsThemselves() async throws {
        let settings = try await read().settings
        XCTAssertEqual(settings.int("store.slow-commit-ms"), 100, "slow commits logged from 100 ms by default")
        XCTAssertEqual(settings.int("limits.max-pending-per-address"), 256)
        XCTAssertEqual(settings.int("http.request-timeout-seconds"), 10)
        XCTAssertEqual(settings.int("limits.rate-limit"), Int(HubConfiguration().requestsPerSecond))
        XCTAssertEqual(settings.int("limits.max-rooms"), HubConfiguration().maxRoomsPerConnection)
        XCTAssertEqual(settings.int("listen.port"), 8443)
        XCTAssertEqual(settings.int("internal.port"), 8444)
        XCTAssertEqual(settings.string("internal.host"), "127.0.0.1", "the internal listener is on loopback unless told otherwise")
        XCTAssertTrue(settings.bool("internal.metrics"))
        XCTAssertNil(settings.string("internal.metrics-token"))
        XCTAssertEqual(settings.dataDir, "./hub-data")
        XCTAssertEqual(settings.string("deadlines.time-zone"), "Asia/Shanghai")
    }

    func testFlagsWinOverTheEnvironmentWhichWinsOverTheFile() async throws {
        let file = #"{"limits": {"max-rooms": 7, "max-text-length": 500}, "listen.port": 9001, "log": {"format": "json"}}"#
        let environment = ["CONFERENCEHUB_LIMITS_MAX_ROOMS": "8", "CONFERENCEHUB_LISTEN_PORT": "9002", "CONFERENCEHUB_PYTHON": "/usr/bin/python3"]
        let resolved = try await read(["--port", "9003"], environment: environment, file: file)
        XCTAssertEqual(resolved.settings.int("listen.port"), 9003)
        XCTAssertEqual(resolved.sources["listen.port"], .flag)
        XCTAssertEqual(resolved.settings.int("limits.max-rooms"), 8)
        XCTAssertEqual(resolved.sources["limits.max-rooms"], .environment)
        XCTAssertEqual(resolved.settings.int("limits.max-text-length"), 500)
        XCTAssertEqual(resolved.sources["limits.max-text-length"], .file)
        XCTAssertEqual(resolved.settings.logFormat, .json)
        XCTAssertEqual(resolved.sources["limits.rate-limit"], .defaultValue)
    }

    func testOutOfRangeValuesAreRefusedWithTheirNames() async {
        for bad in ["-1", "60001"] {
            let found = await problems(["--slow-commit-ms=\(bad)"])
            XCTAssertEqual(found, ["store.slow-commit-ms (--slow-commit-ms, CONFERENCEHUB_STORE_SLOW_COMMIT_MS) must be 0...60000; it is \(bad)"])
        }
        let zeroTimeout = await problems(["--request-timeout", "0"])
        XCTAssertEqual(zeroTimeout.count, 1)
        XCTAssertTrue(zeroTimeout.first?.contains("http.request-timeout-seconds") == true, "\(zeroTimeout)")
        let noLimit = await problems(["--max-pending-per-address", "0"])
        XCTAssertEqual(noLimit, [], "0: no limit")
        let negative = await problems(["--max-pending-per-address=-1"])
        XCTAssertFalse(negative.isEmpty)
    }

    func testEveryProblemIsListedAtOnce() async {
        let found = await problems(
            ["--max-message-bytes", "200000"],
            environment: ["CONFERENCEHUB_LISTEN_PORT": "https", "CONFERENCEHUB_LOG_LEVEL": "loud", "CONFERENCEHUB_INTERNAL_METRICS": "perhaps"],
            file: #"{"websocket": {"max-outbound-bytes": 100000}, "deadlines": {"time-zone": "Mars/Olympus"}}"#)
        XCTAssertEqual(found.count, 5, "\(found)")
        XCTAssertTrue(found.contains("CONFERENCEHUB_LISTEN_PORT: not a whole number"), "\(found)")
        XCTAssertTrue(found.contains("CONFERENCEHUB_INTERNAL_METRICS: not true or false"), "\(found)")
        XCTAssertTrue(found.contains { $0.hasPrefix("log.level") && $0.contains("`loud`") }, "\(found)")
        XCTAssertTrue(found.contains { $0.hasPrefix("websocket.max-outbound-bytes (100000) must be larger") }, "\(found)")
        XCTAssertTrue(found.contains { $0.contains("Mars/Olympus") }, "\(found)")
    }

    func testAMisspeltKeyInTheFileIsRefused() async {
        let found = await problems(file: #"{"listen": {"prot": 9000}, "limits": {"max-rooms": 5}}"#)
        XCTAssertEqual(found.count, 1)
        XCTAssertTrue(found.first?.contains("`listen.prot`, which is no setting") == true, "\(found)")
        let notJSON = await problems(file: "port = 9000")
        XCTAssertTrue(notJSON.first?.contains("is not a JSON object") == true, "\(notJSON)")
    }

    /// A value each setting accepts (other than its default where it has one).
    private func sample(_ spec: SettingSpec) -> SettingSpec.Value {
        switch spec.kind {
        case .int(let range):
            // (The outbound limit must exceed the default message limit.)
            if spec.key == "websocket.max-outbound-bytes" { return .int(range.upperBound) }
            return .int(range.lowerBound == 0 ? 1 : range.lowerBound)
        case .bool: return .bool(false)
        case .choice(let choices): return .string(choices.last!)
        case .string:
            switch spec.key {
            case "web.origins": return .string("https://xf.example.gov.cn")
            case "deadlines.time-zone": return .string("Asia/Urumqi")
            case "internal.metrics-token": return .string("a-metrics-token-of-some-length")
            default: return .string("/tmp/some-\(spec.key)")
            }
        }
    }

    func testEveryFlagKeyAndVariableOfTheTableExists() async throws {
        for spec in ServeSettings.specs {
            let value = sample(spec)
            // The flag: parsed by the command, and read as that setting.
            let command: ServeCommand
            do { command = try ServeCommand.parse([spec.flag, value.description]) } catch {
                XCTFail("\(spec.flag) (\(spec.key)) is refused: \(ServeCommand.message(for: error))")
                continue
            }
            XCTAssertEqual(command.flagValues[spec.key], value, "\(spec.flag) does not set \(spec.key)")
            // The environment variable and the file key.
            let byVariable = try await SettingsReader.read(flags: [:], environment: [spec.environmentVariable: value.description], configFile: nil)
            XCTAssertEqual(byVariable.settings.values[spec.key], value, spec.environmentVariable)
            XCTAssertEqual(byVariable.sources[spec.key], .environment, spec.environmentVariable)
            let json: String
            switch value {
            case .string(let text): json = "\"\(text)\""
            default: json = value.description
            }
            let byFile = try await read(file: #"{"\#(spec.key)": \#(json)}"#)
            XCTAssertEqual(byFile.settings.values[spec.key], value, "\(spec.key) in the file")
        }
        // And the documented table names each of them with its flag.
        let operations = try String(contentsOfFile: repositoryFile("docs/operations.md"), encoding: .utf8)
        for spec in ServeSettings.specs {
            XCTAssertTrue(operations.contains("| `\(spec.key)` | `\(spec.flag)` |"), "docs/operations.md: \(spec.key) with \(spec.flag)")
        }
    }

    func testAnUnknownKeyIsListedWithEveryOtherProblem() async {
        let found = await problems(
            ["--max-rooms", "0"], environment: ["CONFERENCEHUB_LISTEN_PORT": "https"],
            file: #"{"listen": {"prot": 9000}, "log": {"format": "xml"}}"#)
        XCTAssertEqual(found.count, 4, "\(found)")
        XCTAssertTrue(found.contains { $0.contains("`listen.prot`, which is no setting") }, "\(found)")
        XCTAssertTrue(found.contains { $0.hasPrefix("limits.max-rooms") }, "\(found)")
        XCTAssertTrue(found.contains("CONFERENCEHUB_LISTEN_PORT: not a whole number"), "\(found)")
        XCTAssertTrue(found.contains { $0.hasPrefix("log.format") && $0.contains("`xml`") }, "\(found)")
    }

    func testPrintConfigHidesSecretsFromEverySource() async throws {
        let secret = "metrics-token-\(UUID().uuidString)"
        for (arguments, environment, file) in [
            (["--metrics-token", secret], [String: String](), String?.none),
            ([], ["CONFERENCEHUB_INTERNAL_METRICS_TOKEN": secret], nil),
            ([], [:], #"{"internal": {"metrics-token": "\#(secret)"}}"#),
        ] {
            let resolved = try await read(arguments, environment: environment, file: file)
            XCTAssertEqual(resolved.settings.string("internal.metrics-token"), secret, "the hub has it")
            let printed = resolved.printed()
            XCTAssertFalse(printed.contains(secret), printed)
            XCTAssertTrue(printed.contains("internal.metrics-token = <hidden>"), printed)
            XCTAssertTrue(printed.contains("listen.port = 8443  # default"), printed)
        }
        // A token too short to resist guessing is refused, without being repeated.
        let short = await problems(["--metrics-token", "abc"])
        XCTAssertEqual(short, ["internal.metrics-token must have at least 16 characters"])
    }

    func testPrintConfigRunsWithoutTouchingTheDataDirectory() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("print-config-\(UUID().uuidString)").path
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("conference-hub")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else { throw XCTSkip("conference-hub not built") }
        let (status, output, _) = try await runProcess(executable, ["serve", "--print-config", "--data-dir", root, "--port", "0"], input: "")
        XCTAssertEqual(status, 0)
        XCTAssertTrue(output.contains("data.dir = \"\(root)\"  # command line"), output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root), "printing the settings creates nothing")
        let (refused, _, errors) = try await runProcess(executable, ["serve", "--data-dir", root, "--max-rooms", "0"], input: "")
        XCTAssertEqual(refused, 1)
        XCTAssertTrue(errors.contains("limits.max-rooms"), errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root), "a bad setting changes nothing on disk")
    }

    func testEverySettingHasAnEnvironmentNameOfItsOwn() {
        let names = ServeSettings.specs.map(\.environmentVariable)
        XCTAssertEqual(Set(names).count, names.count)
        XCTAssertEqual(ServeSettings.specsByKey["limits.max-rooms"]?.environmentVariable, "CONFERENCEHUB_LIMITS_MAX_ROOMS")
        let flags = ServeSettings.specs.map(\.flag)
        XCTAssertEqual(Set(flags).count, flags.count)
    }

    func testServeRaisesTheOpenFileLimitToTheHardLimit() throws {
        var original = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &original), 0)
        defer { _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &original) }
        guard original.rlim_max > 512 else { throw XCTSkip("the hard limit (\(original.rlim_max)) leaves nothing to raise") }
        var lowered = original
        lowered.rlim_cur = 512
        XCTAssertEqual(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lowered), 0)
        let raised = try XCTUnwrap(OpenFileLimit.raise())
        XCTAssertEqual(raised.before, 512)
        XCTAssertEqual(raised.after, UInt64(original.rlim_max))
        var now = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &now), 0)
        XCTAssertEqual(now.rlim_cur, original.rlim_max)
        // At the hard limit already: nothing changes.
        XCTAssertEqual(OpenFileLimit.raise()?.before, OpenFileLimit.raise()?.after)
    }
}

/// A file of the repository, by its path from the root.
func repositoryFile(_ path: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(path).path
}
