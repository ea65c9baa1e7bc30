// StreamingJSONEncoder: JSON in one pass, each value written where it is given. Foundation's
// JSONEncoder builds a tree of boxed values first and casts every value on the way; on the write
// path that was a third of a change's cost, and most of a page of whole cases on the wire. With
// the same options it says what JSONEncoder says (a test compares them): snake_case keys converted
// as JSONEncoder converts them (a String-keyed dictionary's keys left as they are), keys sorted by
// their UTF-8 bytes, whole doubles without ".0", Data as base64 and URL as a string. Without
// sorting, keys come in the order the type encodes them (what the writer stores and never hashes).
import Foundation

public struct StreamingJSONEncoder: Sendable {
    public enum Keys: Sendable { case asEncoded, snakeCase }

    public let keys: Keys
    public let sorted: Bool

    public init(keys: Keys = .asEncoded, sorted: Bool = false) {
        self.keys = keys
        self.sorted = sorted
    }

    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let writer = JSONByteWriter(snakeCase: keys == .snakeCase, sorted: sorted)
        try writer.writeValue(value, level: 0, path: .root)
        writer.close(above: -1)
        if writer.bytes == Array("{}".utf8), writer.filledEmptyValue {
            throw EncodingError.invalidValue(value, EncodingError.Context(
                codingPath: [], debugDescription: "Top-level \(T.self) did not encode any values."))
        }
        return writer.bytes
    }
}

/// A JSON value that writes itself (a tree of any JSON, carried inside replies): no Codable
/// containers, dictionary keys as they are, sorted when the encoder sorts.
public protocol DirectJSONValue {
    func write(to output: JSONValueOutput) throws
}

/// What a `DirectJSONValue` writes with.
public struct JSONValueOutput {
    let writer: JSONByteWriter

    public func null() { writer.writeNull() }
    public func bool(_ value: Bool) { writer.writeBool(value) }
    public func integer(_ value: Int64) { writer.writeInteger(value) }
    public func number(_ value: Double) throws { try writer.writeFloat(value, path: .root) }
    public func string(_ value: String) { writer.writeString(value) }
    /// One whole JSON value as an encoder with the same options wrote it, copied as it is.
    public func encoded(_ bytes: [UInt8]) { writer.bytes.append(contentsOf: bytes) }

    public func array<Element: DirectJSONValue>(_ elements: [Element]) throws {
        writer.bytes.append(UInt8(ascii: "["))
        for (index, element) in elements.enumerated() {
            if index > 0 { writer.bytes.append(UInt8(ascii: ",")) }
            try element.write(to: self)
        }
        writer.bytes.append(UInt8(ascii: "]"))
    }

    public func object<Value: DirectJSONValue>(_ members: [String: Value]) throws {
        writer.bytes.append(UInt8(ascii: "{"))
        var first = true
        func member(_ key: String, _ value: Value) throws {
            if !first { writer.bytes.append(UInt8(ascii: ",")) }
            first = false
            writer.writeString(key)
            writer.bytes.append(UInt8(ascii: ":"))
            try value.write(to: self)
        }
        if writer.sorted {
            for key in members.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) { try member(key, members[key]!) }
        } else {
            for (key, value) in members { try member(key, value) }
        }
        writer.bytes.append(UInt8(ascii: "}"))
    }
}

/// A dictionary whose keys JSONEncoder writes as they are, whatever its key strategy.
protocol StringKeyedDictionary {}
extension Dictionary: StringKeyedDictionary where Key == String {}

/// Keys as JSONEncoder's `convertToSnakeCase` writes them, asked of JSONEncoder once per key.
enum SnakeCaseKeys {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var known: [String: String] = [:]
    /// Enough for every field name of every type; keys made at run time beyond it are converted each time.
    static let limit = 4_096

    private struct Probe: Encodable {
        struct Key: CodingKey {
            let stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        let name: String
        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(0, forKey: Key(stringValue: name))
        }
    }

    static func converted(_ key: String) -> String {
        // A key of ASCII with no capital is one word: JSONEncoder keeps it as it is.
        if key.utf8.allSatisfy({ $0 < 0x80 && !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) { return key }
        if let hit = lock.withLock({ known[key] }) { return hit }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let converted = (try? encoder.encode(Probe(name: key)))
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Int] }?.keys.first ?? key
        lock.withLock { if known.count < limit { known[key] = converted } }
        return converted
    }
}

/// Where an encoder stands, kept as a chain so that nothing is built unless someone asks.
indirect enum CodingPathNode {
    case root
    case key(CodingKey, CodingPathNode)

    var keys: [CodingKey] {
        var keys: [CodingKey] = []
        var node = self
        while case .key(let key, let parent) = node {
            keys.append(key)
            node = parent
        }
        return keys.reversed()
    }

    func appending(_ key: CodingKey) -> CodingPathNode { .key(key, self) }
}

struct SuperKey: CodingKey {
    var stringValue: String { "super" }
    var intValue: Int? { nil }
    init() {}
    init?(stringValue: String) { nil }
    init?(intValue: Int) { nil }
}

struct IndexCodingKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

/// The output and the containers still open, innermost last. A container writes only while it is
/// the innermost; writing to an outer one first closes those inside it (their values are done).
final class JSONByteWriter {
    struct Frame {
        let isObject: Bool
        var count = 0
        /// When keys are sorted: where each member begins (after its comma), and its key.
        var members: [(start: Int, key: String)] = []
    }

    let snakeCase: Bool
    let sorted: Bool
    /// Set while a String-keyed dictionary writes its keys (JSONEncoder leaves them as they are).
    var literalKeysAt: Int?
    var bytes: [UInt8] = []
    var frames: [Frame] = []
    /// Set where a key was written for a super-encoder that may write nothing.
    var awaitingValueAt: Int?
    /// Whether the top-level value encoded nothing (JSONEncoder refuses that).
    var filledEmptyValue = false

    init(snakeCase: Bool, sorted: Bool) {
        self.snakeCase = snakeCase
        self.sorted = sorted
        bytes.reserveCapacity(2048)
    }

    /// Closes every container deeper than `level` (frames[level] stays open).
    func close(above level: Int) {
        fillAwaitedValue()
        while frames.count > level + 1 {
            let frame = frames.removeLast()
            if frame.isObject, sorted, frame.members.count > 1 { sortMembers(frame.members) }
            bytes.append(frame.isObject ? UInt8(ascii: "}") : UInt8(ascii: "]"))
        }
    }

    /// Rewrites the members of the object being closed (they end at the end of the output) in
    /// the order of their keys' UTF-8 bytes, as JSONEncoder's `sortedKeys` does.
    private func sortMembers(_ members: [(start: Int, key: String)]) {
        let order = members.indices.sorted { members[$0].key.utf8.lexicographicallyPrecedes(members[$1].key.utf8) }
        guard order != Array(members.indices) else { return }
        let first = members[0].start
        var rewritten: [UInt8] = []
        rewritten.reserveCapacity(bytes.count - first)
        for (position, index) in order.enumerated() {
            if position > 0 { rewritten.append(UInt8(ascii: ",")) }
            let end = index + 1 < members.count ? members[index + 1].start - 1 : bytes.count
            rewritten.append(contentsOf: bytes[members[index].start..<end])
        }
        bytes.replaceSubrange(first..., with: rewritten)
    }

    func fillAwaitedValue() {
        if let at = awaitingValueAt, at == bytes.count { bytes.append(contentsOf: "{}".utf8) }
        awaitingValueAt = nil
    }

    /// A value begins at the end of the output: a super-encoder's awaited value, if it was there.
    func beginValue() { awaitingValueAt = nil }

    /// Opens a container for the encoder at `level`, or takes up the one it already opened.
    func open(object: Bool, level: Int) -> Int {
        if frames.count == level { beginValue() }
        close(above: level)
        if frames.count == level + 1, frames[level].isObject == object { return level }
        precondition(frames.count == level, "a value was already encoded at this place")
        bytes.append(object ? UInt8(ascii: "{") : UInt8(ascii: "["))
        frames.append(Frame(isObject: object))
        return level
    }

    /// Before a member of the container at `frame`: closes what is inside, writes the separator.
    func beginMember(of frame: Int) {
        close(above: frame)
        if frames[frame].count > 0 { bytes.append(UInt8(ascii: ",")) }
        frames[frame].count += 1
    }

    /// Begins a member of the object at `frame` and writes its key.
    func beginMember(of frame: Int, key: CodingKey) {
        beginMember(of: frame)
        var name = key.stringValue
        if snakeCase, literalKeysAt != frame { name = SnakeCaseKeys.converted(name) }
        if sorted { frames[frame].members.append((bytes.count, name)) }
        writeString(name)
        bytes.append(UInt8(ascii: ":"))
    }

    func writeValue<T: Encodable>(_ value: T, level: Int, path: CodingPathNode) throws {
        if frames.count == level { beginValue() }
        if T.self is DirectJSONValue.Type, let direct = value as? DirectJSONValue {
            if frames.count == level { beginValue() }
            close(above: level - 1)
            try direct.write(to: JSONValueOutput(writer: self))
            return
        }
        if snakeCase, T.self is StringKeyedDictionary.Type {
            // Its keys are written as they are: mark the object it is about to open.
            let outer = literalKeysAt
            literalKeysAt = level
            defer { literalKeysAt = outer }
            try value.encode(to: StreamingEncoder(writer: self, level: level, path: path))
            close(above: level - 1)
            return
        }
        if T.self == Data.self {
            writeString((value as! Data).base64EncodedString())
        } else if T.self == URL.self {
            writeString((value as! URL).absoluteString)
        } else if T.self == String.self {
            writeString(value as! String)
        } else {
            let start = bytes.count
            let openFrames = frames.count
            try value.encode(to: StreamingEncoder(writer: self, level: level, path: path))
            close(above: level - 1)
            // A value that encoded nothing is an empty object, as with JSONEncoder.
            if bytes.count == start && frames.count == openFrames {
                bytes.append(contentsOf: "{}".utf8)
                filledEmptyValue = level == 0
            }
        }
    }

    func writeString(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            var runStart = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                runStart = index + 1
                switch byte {
                case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
                case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
                case 0x0A: bytes.append(contentsOf: #"\n"#.utf8)
                case 0x0D: bytes.append(contentsOf: #"\r"#.utf8)
                case 0x09: bytes.append(contentsOf: #"\t"#.utf8)
                case 0x08: bytes.append(contentsOf: #"\b"#.utf8)
                case 0x0C: bytes.append(contentsOf: #"\f"#.utf8)
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: #"\u00"#.utf8)
                    bytes.append(hex[Int(byte >> 4)])
                    bytes.append(hex[Int(byte & 0x0F)])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    func writeInteger<I: BinaryInteger>(_ value: I) {
        if value == 0 { bytes.append(UInt8(ascii: "0")); return }
        var magnitude = value.magnitude
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        let start = bytes.count
        while magnitude > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10))
            magnitude /= 10
        }
        bytes[start...].reverse()
    }

    func writeFloat<F: BinaryFloatingPoint & LosslessStringConvertible>(_ value: F, path: CodingPathNode) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, EncodingError.Context(
                codingPath: path.keys, debugDescription: "\(value) is not a JSON number"))
        }
        // As JSONEncoder: a whole number without ".0" (1, -0, 1e+20).
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    func writeBool(_ value: Bool) { bytes.append(contentsOf: (value ? "true" : "false").utf8) }
    func writeNull() { bytes.append(contentsOf: "null".utf8) }
}
