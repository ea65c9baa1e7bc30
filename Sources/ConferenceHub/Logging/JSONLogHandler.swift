// JSONLogHandler: `serve --log-format json` — one JSON object per line on standard error, for log
// systems that parse lines: `time` (UTC, milliseconds), `level`, `message`, `label`, and the
// metadata (connection, peer, person, unit, room, case…) as fields of their own. What is logged is
// what the text format logs: no token, password, key or petitioner data is ever put in a log line.
import Foundation
import Logging

struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    /// Where each line goes (standard error in the hub; a collector in tests).
    private let write: @Sendable (String) -> Void

    init(label: String, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.write = write
    }

    /// A handler writing to standard error.
    static func standardError(label: String) -> JSONLogHandler {
        JSONLogHandler(label: label) { line in FileHandle.standardError.write(Data(line.utf8)) }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The fields of the line itself; metadata with one of these names is written as `meta_NAME`.
    static let reserved: Set<String> = ["time", "level", "message", "label"]

    func log(event: LogEvent) {
        write(Self.line(event: event, label: label, metadata: metadata, provided: metadataProvider?.get()))
    }

    /// The line for `event`, ending in a newline.
    static func line(event: LogEvent, label: String, metadata: Logger.Metadata, provided: Logger.Metadata? = nil, at date: Date = Date()) -> String {
        var fields: [String: Any] = [
            "time": date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)),
            "level": event.level.rawValue, "message": event.message.description, "label": label,
        ]
        var merged = metadata
        if let provided { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        for (key, value) in merged { fields[reserved.contains(key) ? "meta_" + key : key] = json(value) }
        guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return #"{"level":"error","message":"a log line could not be encoded"}"# + "\n"
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): return text
        case .stringConvertible(let convertible): return convertible.description
        case .array(let values): return values.map(json)
        case .dictionary(let values): return values.mapValues(json)
        }
    }
}

/// How `serve` writes its log.
enum LogFormat: String, CaseIterable, Sendable {
    /// `key=value` lines (swift-log's stream handler).
    case text
    /// One JSON object per line.
    case json

    /// The format asked for, before the settings are read and checked (so that a refusal to start
    /// is written in it): the flag, else the environment, else the configuration file; text if none
    /// of them can be read as asking for JSON.
    static func requested(flags: [String: SettingSpec.Value], environment: [String: String], configFile: String?) -> LogFormat {
        if case .string(let value)? = flags["log.format"] { return LogFormat(rawValue: value) ?? .text }
        if let value = environment["CONFERENCEHUB_LOG_FORMAT"] { return LogFormat(rawValue: value) ?? .text }
        guard let configFile, let data = FileManager.default.contents(atPath: configFile),
              let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return .text }
        let value = (root["log.format"] as? String) ?? ((root["log"] as? [String: Any])?["format"] as? String)
        return value.flatMap(LogFormat.init(rawValue:)) ?? .text
    }
}
