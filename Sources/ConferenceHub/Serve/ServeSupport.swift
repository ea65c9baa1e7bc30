// What `serve` uses besides its settings: the console line writer, the logging set-up, the
// certificate-expiry warnings, the deadline-policy files, and where option defaults come from.
import CaseCore
import Foundation
import Logging
import Messaging
import NIOCore

/// Reads the deadline settings named on the command line.
enum HubSettings {
    struct SettingsError: Error, CustomStringConvertible {
        let description: String
    }

    static func deadlinePolicy(calendar: String?, timeLimits: String?, timeZone: String) throws -> DeadlinePolicy {
        guard let zone = TimeZone(identifier: timeZone) else {
            throw SettingsError(description: "unknown time zone `\(timeZone)` (use an IANA name such as Asia/Shanghai)")
        }
        var policy = DeadlinePolicy(timeZone: ConferenceTimeZone(timeZone: zone))
        if let calendar {
            policy.calendar = try WorkingCalendar(parsing: read(calendar))
        }
        if let timeLimits {
            policy.limits = try TimeLimits.load(json: Array(read(timeLimits).utf8))
        }
        return policy
    }

    private static func read(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SettingsError(description: "cannot read \(FileProblem.describe(error, path: path))")
        }
    }
}

/// Unbuffered standard output, so scripts reading it see each line at once.
enum Console {
    static func write(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// What `serve` tells the person who started it: plain text, or with `--log-format json` one
    /// JSON object on one line (as the log's), so that everything the service writes is JSON.
    static func announce(_ text: String, format: LogFormat, level: Logger.Level = .notice, to standardError: Bool = false) {
        let line: String
        switch format {
        case .text: line = text + "\n"
        case .json:
            line = JSONLogHandler.line(
                event: LogEvent(level: level, message: "\(text)", metadata: nil, source: "ConferenceHub", file: #fileID, function: #function, line: #line),
                label: "conferencehub", metadata: [:])
        }
        (standardError ? FileHandle.standardError : FileHandle.standardOutput).write(Data(line.utf8))
    }
}

/// Process-wide logging set-up: key=value lines, or JSON lines, on standard error.
enum HubLogging {
    static func bootstrap(level: Logger.Level, format: LogFormat) {
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .json:
                var handler = JSONLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}


/// How `serve` writes a slow commit's durations in its warning (and `bench` reads them back).
enum SlowCommitFormat {
    static func milliseconds(_ duration: Duration) -> String {
        String(format: "%.1f", Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) / 1e15)
    }
}

/// Warnings about the server certificate's expiry: clients refuse an expired one, so every
/// connection would fail from that day on.
enum CertificateExpiry {
    /// From this many days before the expiry, a warning a day.
    static let warningDays = 30

    /// The log line for `details` at `now`, or nil while the expiry is further off.
    static func warning(_ details: CertificateDetails, now: Date = Date()) -> (level: Logger.Level, message: String)? {
        let days = details.daysLeft(at: now)
        let date = CertificateDetails.day(details.notAfter)
        let renew = "issue a new one with `conference-hub admin server-cert --renew` and restart the hub"
        if details.notAfter <= now {
            return (.error, "the server certificate expired on \(date): clients refuse it; \(renew)")
        }
        guard days < warningDays else { return nil }
        return (.warning, "the server certificate expires on \(date), in \(days) days; \(renew)")
    }

    static func log(_ details: CertificateDetails, logger: Logger, now: Date = Date()) {
        guard let (level, message) = warning(details, now: now) else { return }
        logger.log(level: level, "\(message)")
    }
}

/// Where `serve`'s options take their defaults: the configurations they set, whose defaults are
/// written once there (HubConfiguration, WebSocketConfiguration, WebSocketServerConfiguration).
enum ServeDefaults {
    static let hub = HubConfiguration()
    static let webSocket = WebSocketConfiguration()

    /// Whole seconds of a default timer.
    static func seconds(_ amount: TimeAmount) -> Int { Int(amount.nanoseconds / 1_000_000_000) }
}
