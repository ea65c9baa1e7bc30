// JSONValue: any JSON value, typed — a request's fields, and stored JSON carried inside replies.
import Foundation

/// Any JSON value: a request's fields as the hub read them, and how stored event bytes (written
/// once) are carried inside a reply's result, such as the events of a `history` page.
public enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The value of a stored JSON text.
    public init(json bytes: [UInt8]) throws {
        // Read by JSONSerialization (keys as they are): several times faster than decoding this
        // enum through JSONDecoder, which tries each kind of value in turn for every value.
        self = JSONValue(foundation: try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]))
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSONValue {
    /// A value as JSONSerialization reads it. A number keeps its kind: a whole number that fits
    /// 64 bits is `integer`, any other (a fraction, or beyond 64 bits) `number`.
    init(foundation value: Any) {
        switch value {
        case let object as [String: Any]: self = .object(object.mapValues(JSONValue.init(foundation:)))
        case let array as [Any]: self = .array(array.map(JSONValue.init(foundation:)))
        case let text as String: self = .string(text)
        case let number as NSNumber:
            // The type code's one character, read in place (no String made per number).
            switch UInt8(bitPattern: number.objCType.pointee) {
            case UInt8(ascii: "c"): self = .bool(number.boolValue)
            case UInt8(ascii: "d"), UInt8(ascii: "f"): self = .number(number.doubleValue)
            case UInt8(ascii: "Q"): self = number.uint64Value > UInt64(Int64.max) ? .number(number.doubleValue) : .integer(number.int64Value)
            default: self = .integer(number.int64Value)
            }
        default: self = .null
        }
    }

    /// The string, if this is one.
    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }
}
