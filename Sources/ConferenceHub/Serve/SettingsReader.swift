// SettingsReader: reads `serve`'s settings through swift-configuration, from (first found wins)
// the command line, CONFERENCEHUB_* environment variables, the configuration file, and the
// defaults of ServeSettings.specs. Every problem is collected — a value of the wrong type, out of
// range, not among the choices, a key in the file that no setting has — and the hub refuses to
// start with all of them listed. `--print-config` shows the result, secrets hidden.
import Configuration
import Foundation
import NIOConcurrencyHelpers

/// Where a setting's value came from.
enum SettingSource: Sendable, Equatable, CustomStringConvertible {
    case flag, environment, file, defaultValue, unset

    var description: String {
        switch self {
        case .flag: "command line"
        case .environment: "environment"
        case .file: "configuration file"
        case .defaultValue: "default"
        case .unset: "not set"
        }
    }
}

/// Settings as read, with where each came from.
struct ResolvedSettings: Sendable {
    let settings: ServeSettings
    let sources: [String: SettingSource]
    /// The configuration file read, if any.
    let configFile: String?

    /// What `serve --print-config` prints: one `key = value  # source` line per setting, in the
    /// order of the specs; a secret that is set shows as `<hidden>`.
    func printed() -> String {
        var lines = ["# conference-hub \(HubProtocol.serverVersion) settings in effect" + (configFile.map { " (configuration file \($0))" } ?? "")]
        for spec in ServeSettings.specs {
            let source = sources[spec.key] ?? .unset
            let shown: String
            switch settings.values[spec.key] {
            case nil: shown = "(unset)"
            case .some where spec.secret: shown = "<hidden>"
            case .some(.string(let text)): shown = Self.quoted(text)
            case .some(let value): shown = value.description
            }
            lines.append("\(spec.key) = \(shown)  # \(source)")
        }
        return lines.joined(separator: "\n")
    }

    private static func quoted(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }
}

/// Settings that cannot be used, each problem on its own line.
struct SettingsError: Error, CustomStringConvertible {
    let problems: [String]

    var description: String {
        "the settings cannot be used:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

enum SettingsReader {
    /// Reads and checks every setting.
    /// - Parameters:
    ///   - flags: the values given on the command line, by key.
    ///   - environment: the process environment (only CONFERENCEHUB_* variables are read).
    ///   - configFile: a JSON configuration file to read; it must exist.
    static func read(flags: [String: SettingSpec.Value], environment: [String: String], configFile: String?) async throws -> ResolvedSettings {
        var problems: [String] = []
        var providers: [any ConfigProvider] = []
        var flagValues: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in flags {
            let secret = ServeSettings.specsByKey[key]?.secret ?? false
            flagValues[AbsoluteConfigKey(ConfigKey(key))] = ConfigValue(value.content, isSecret: secret)
        }
        providers.append(InMemoryProvider(name: ProviderName.flags, values: flagValues))
        let ours = environment.filter { $0.key.hasPrefix("CONFERENCEHUB_") }
        let secretVariables = Set(ServeSettings.specs.filter(\.secret).map(\.environmentVariable))
        providers.append(EnvironmentVariablesProvider(environmentVariables: ours, secretsSpecifier: .specific(secretVariables))
            .prefixKeys(with: ConfigKey("conferencehub")))
        if let configFile {
            // Keys that are no setting are listed with every other problem; a file that cannot be
            // read as a JSON object is the only problem that stops the reading here.
            let file = fileProblems(configFile)
            problems += file.problems
            guard file.readable else { throw SettingsError(problems: problems) }
            providers.append(try await FileProvider<JSONSnapshot>(filePath: .init(configFile)))
        }

        let reporter = Collector()
        let config = ConfigReader(providers: providers, accessReporter: reporter)
        var values: [String: SettingSpec.Value] = [:]
        var sources: [String: SettingSource] = [:]
        for spec in ServeSettings.specs {
            let key = ConfigKey(spec.key)
            let found: SettingSpec.Value?
            switch spec.kind {
            case .int(let range):
                found = config.int(forKey: key, isSecret: spec.secret).map(SettingSpec.Value.int)
                if let value = found?.intValue, !range.contains(value) {
                    problems.append("\(spec.key) (\(spec.flag), \(spec.environmentVariable)) must be \(range.lowerBound)...\(range.upperBound); it is \(value)")
                }
            case .string:
                found = config.string(forKey: key, isSecret: spec.secret).map(SettingSpec.Value.string)
                if case .string(let text)? = found, text.isEmpty {
                    problems.append("\(spec.key) (\(spec.flag), \(spec.environmentVariable)) is empty; leave it out to use the default")
                }
            case .choice(let choices):
                found = config.string(forKey: key, isSecret: spec.secret).map(SettingSpec.Value.string)
                if case .string(let text)? = found, !choices.contains(text) {
                    problems.append("\(spec.key) (\(spec.flag), \(spec.environmentVariable)) must be one of \(choices.joined(separator: ", ")); it is `\(text)`")
                }
            case .bool:
                found = config.bool(forKey: key, isSecret: spec.secret).map(SettingSpec.Value.bool)
            }
            if let found {
                values[spec.key] = found
                sources[spec.key] = reporter.source(of: spec.key)
            } else if let defaultValue = spec.defaultValue {
                values[spec.key] = defaultValue
                sources[spec.key] = .defaultValue
            } else {
                sources[spec.key] = .unset
            }
        }
        problems += reporter.problems
        problems += ServeSettings.crossCheck(values)
        if !problems.isEmpty { throw SettingsError(problems: problems) }
        return ResolvedSettings(settings: ServeSettings(values: values), sources: sources, configFile: configFile)
    }

    /// Problems with the file itself: unreadable, not a JSON object, or keys that no setting has
    /// (a misspelt key would otherwise be ignored without a word).
    private static func fileProblems(_ path: String) -> (readable: Bool, problems: [String]) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            return (false, ["cannot read the configuration file: \(FileProblem.describe(error, path: path))"])
        }
        guard let object = try? JSONSerialization.jsonObject(with: data), let root = object as? [String: Any] else {
            return (false, ["the configuration file \(path) is not a JSON object"])
        }
        var unknown: [String] = []
        func walk(_ object: [String: Any], prefix: String) {
            for (name, value) in object {
                let key = prefix.isEmpty ? name : "\(prefix).\(name)"
                if ServeSettings.specsByKey[key] != nil { continue }
                if let nested = value as? [String: Any], ServeSettings.specs.contains(where: { $0.key.hasPrefix(key + ".") }) {
                    walk(nested, prefix: key)
                } else {
                    unknown.append(key)
                }
            }
        }
        walk(root, prefix: "")
        return (true, unknown.sorted().map { "the configuration file \(path) has `\($0)`, which is no setting (see `conference-hub serve --help`)" })
    }

    enum ProviderName {
        static let flags = "command-line"
    }

    /// Hears every lookup: which provider answered, and every value that could not be read.
    private final class Collector: AccessReporter, Sendable {
        private let state = NIOLockedValueBox<(sources: [String: SettingSource], problems: [String])>(([:], []))

        func report(_ event: AccessEvent) {
            let key = event.metadata.key.components.joined(separator: ".")
            let spec = ServeSettings.specsByKey[key]
            var source: SettingSource?
            var problems: [String] = []
            for result in event.providerResults {
                switch result.result {
                case .success(let lookup) where lookup.value != nil:
                    if source == nil { source = Self.source(result.providerName) }
                case .success:
                    break
                case .failure(let error):
                    problems.append(Self.describe(spec: spec, key: key, provider: result.providerName, error: error))
                }
            }
            if let error = event.conversionError {
                problems.append(Self.describe(spec: spec, key: key, provider: source.map(\.description) ?? "", error: error))
            }
            state.withLockedValue { state in
                if let source, state.sources[key] == nil { state.sources[key] = source }
                state.problems += problems
            }
        }

        func source(of key: String) -> SettingSource {
            state.withLockedValue { $0.sources[key] } ?? .defaultValue
        }

        var problems: [String] { state.withLockedValue { $0.problems } }

        private static func source(_ provider: String) -> SettingSource {
            if provider.contains(ProviderName.flags) { return .flag }
            if provider.contains("Environment") { return .environment }
            return .file
        }

        private static func describe(spec: SettingSpec?, key: String, provider: String, error: any Error) -> String {
            let origin: String
            switch source(provider) {
            case .flag: origin = spec?.flag ?? key
            case .environment: origin = spec?.environmentVariable ?? key
            default: origin = "\(key) in the configuration file"
            }
            let expected: String
            switch spec?.kind {
            case .int?: expected = "a whole number"
            case .bool?: expected = "true or false"
            default: expected = "text"
            }
            // The value itself is not quoted: it may be a secret.
            _ = error
            return "\(origin): not \(expected)"
        }
    }
}

extension SettingSpec.Value {
    var intValue: Int? {
        if case .int(let value) = self { return value }
        return nil
    }

    /// As swift-configuration holds it.
    var content: ConfigContent {
        switch self {
        case .int(let value): .int(value)
        case .string(let value): .string(value)
        case .bool(let value): .bool(value)
        }
    }
}
