// FlatJSON: a strict reader for the commonest request shape, a JSON object whose values are all
// strings (a `post`). It is the hub's hot path: it allocates only the strings it returns. Anything
// else (another value type, a nested object, a repeated key, a malformed escape, too many fields)
// makes it give up with nil, and the caller decodes the message the general way, which gives the
// client the precise error. So it may only ever accept what the general decoder accepts, with the
// same result.
import NIOCore

public enum FlatJSON {
    /// The string fields of `buffer` when it holds exactly one JSON object whose values are all
    /// strings, with at most `maxFields` fields and no key twice; nil otherwise.
    public static func stringFields(_ buffer: ByteBuffer, maxFields: Int = 8) -> [String: String]? {
        buffer.withUnsafeReadableBytes { bytes in
            var reader = Reader(bytes: bytes)
            return reader.object(maxFields: maxFields)
        }
    }

    /// Where a key is repeated within one object of `buffer`, which must already be known to be
    /// valid JSON: the path of the second occurrence (`change.type`, `units.[2].id`), or nil when
    /// every object's keys are distinct. Readers disagree on such a message (JSONSerialization
    /// keeps the last value, the typed decoder the first), so the hub refuses it. Keys are
    /// compared decoded (`"a"` and `"\u0061"` are the same key). Iterative: any depth the
    /// parser accepted is fine.
    public static func repeatedKey(_ buffer: ByteBuffer) -> String? {
        buffer.withUnsafeReadableBytes { bytes in
            var reader = Reader(bytes: bytes)
            return reader.scan { _, _ in }
        }
    }

    /// The numbers of a JSON text that no number type can hold (`1e400`: beyond a Double), each
    /// with its path (`limit`, `change.task`) and its byte range, so that a request failing to
    /// parse only because of them can be refused naming the field.
    public static func numbersOutOfRange(_ buffer: ByteBuffer) -> [(path: String, range: Range<Int>)] {
        buffer.withUnsafeReadableBytes { bytes in
            var reader = Reader(bytes: bytes)
            var found: [(path: String, range: Range<Int>)] = []
            _ = reader.scan { path, range in
                let literal = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
                if let value = Double(literal), value.isInfinite { found.append((path, range)) }
            }
            return found
        }
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        mutating func object(maxFields: Int) -> [String: String]? {
            skipWhitespace()
            guard take(UInt8(ascii: "{")) else { return nil }
            var fields: [String: String] = [:]
            skipWhitespace()
            if !take(UInt8(ascii: "}")) {
                while true {
                    skipWhitespace()
                    guard let key = string() else { return nil }
                    skipWhitespace()
                    guard take(UInt8(ascii: ":")) else { return nil }
                    skipWhitespace()
                    guard let value = string() else { return nil }
                    guard fields.count < maxFields, fields.updateValue(value, forKey: key) == nil else { return nil }
                    skipWhitespace()
                    if take(UInt8(ascii: ",")) { continue }
                    guard take(UInt8(ascii: "}")) else { return nil }
                    break
                }
            }
            skipWhitespace()
            return index == bytes.count ? fields : nil
        }

        /// One open object or array while looking for a repeated key.
        private struct Container {
            let isObject: Bool
            /// An object's keys so far.
            var keys: Set<String> = []
            /// An object's key whose value is being read; nil while a key is expected.
            var current: String?
            /// An array's elements so far.
            var count = 0
        }

        /// Walks the text: returns the path of the first repeated key (nil when there is none),
        /// and calls `number` with the path and byte range of every number literal.
        mutating func scan(number: (String, Range<Int>) -> Void) -> String? {
            var open: [Container] = []
            func path(_ last: String) -> String {
                var names: [String] = []
                for container in open {
                    if container.isObject {
                        if let current = container.current { names.append(current) }
                    } else {
                        names.append("[\(container.count - 1)]")
                    }
                }
                return (names + [last]).joined(separator: ".")
            }
            /// A value starts: in an array, that is the next element.
            func countElement() {
                if let last = open.indices.last, !open[last].isObject { open[last].count += 1 }
            }
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    countElement()
                    open.append(Container(isObject: bytes[index] == UInt8(ascii: "{")))
                    index += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    guard !open.isEmpty else { return nil }
                    open.removeLast()
                    index += 1
                case UInt8(ascii: "\""):
                    // A key when it opens a member of an object, else a value.
                    if let last = open.indices.last, open[last].isObject, open[last].current == nil {
                        guard let key = string() else { return nil }
                        if open[last].keys.contains(key) { return path(key) }
                        open[last].keys.insert(key)
                        open[last].current = key
                    } else {
                        countElement()
                        skipString()
                    }
                case UInt8(ascii: ","):
                    if let last = open.indices.last, open[last].isObject { open[last].current = nil }
                    index += 1
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                     UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                    // A number or a literal: to its end.
                    countElement()
                    let start = index
                    let isNumber = bytes[index] == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index])
                    index += 1
                    while index < bytes.count {
                        switch bytes[index] {
                        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                             UInt8(ascii: "."), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "E"):
                            index += 1
                            continue
                        default:
                            break
                        }
                        break
                    }
                    if isNumber {
                        // The path of a value: its key, or its index in an array.
                        let names = open.map { $0.isObject ? ($0.current ?? "") : "[\($0.count - 1)]" }
                        number(names.joined(separator: "."), start..<index)
                    }
                default:
                    // Whitespace, a colon, a byte-order mark.
                    index += 1
                }
            }
            return nil
        }

        /// Steps over a string whose opening quote is at the current position.
        mutating func skipString() {
            index += 1
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "\\") { index += 1 } else if byte == UInt8(ascii: "\"") { return }
            }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        /// A JSON string at the current position (the opening quote included).
        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            // The common case: no escapes; the bytes are the string.
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    defer { index += 1 }
                    return String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                }
                if byte == UInt8(ascii: "\\") { break }
                if byte < 0x20 { return nil }
                index += 1
            }
            guard index < bytes.count else { return nil }
            // With escapes: decode into a scratch array.
            var decoded = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(validating: decoded, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { return nil }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
                    case UInt8(ascii: "b"): decoded.append(0x08)
                    case UInt8(ascii: "f"): decoded.append(0x0C)
                    case UInt8(ascii: "n"): decoded.append(0x0A)
                    case UInt8(ascii: "r"): decoded.append(0x0D)
                    case UInt8(ascii: "t"): decoded.append(0x09)
                    case UInt8(ascii: "u"):
                        guard let scalar = unicodeEscape() else { return nil }
                        decoded.append(contentsOf: String(Character(scalar)).utf8)
                    default: return nil
                    }
                default:
                    if byte < 0x20 { return nil }
                    decoded.append(byte)
                }
            }
            return nil
        }

        /// The scalar written as four hex digits after `\u`; a high surrogate must be followed by
        /// a `\u` escape of a low one. Nil for a lone surrogate or bad hex.
        mutating func unicodeEscape() -> Unicode.Scalar? {
            guard let first = hex4() else { return nil }
            switch first {
            case 0xD800...0xDBFF:
                guard take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")), let second = hex4(), (0xDC00...0xDFFF).contains(second) else { return nil }
                return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
            case 0xDC00...0xDFFF:
                return nil
            default:
                return Unicode.Scalar(first)
            }
        }

        mutating func hex4() -> UInt32? {
            guard index + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                index += 1
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
            }
            return value
        }
    }
}
