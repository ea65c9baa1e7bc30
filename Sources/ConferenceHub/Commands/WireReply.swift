// WireReply: the bytes of an `ok` reply, `{"id","result","type":"ok"}`, encoded once from a
// command's typed result (snake_case keys, sorted, as every reply on the wire).
import Foundation
import Messaging
import NIOCore

enum WireReply {
    private struct OK<Result: Encodable>: Encodable {
        let id: String
        let result: Result
        let type = "ok"
    }

    /// `{"id": id, "result": result, "type": "ok"}`.
    static func ok<Result: Encodable>(id: String, result: Result) -> ByteBuffer {
        do {
            return ByteBuffer(bytes: try WireCoding.encoder.encode(OK(id: id, result: result)))
        } catch {
            // Only a value that is not JSON (a programming error) gets here: say so on the wire.
            return Reply.error(id: id, code: .internal, message: "the reply could not be encoded")
        }
    }
}

/// Any JSON value: how stored event bytes (written once by `WireEvents`) are carried inside a
/// reply's result, such as the events of a `history` page.
enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The value of a stored JSON text.
    init(json bytes: [UInt8]) throws {
        // Keys as they are: no snake_case conversion on the way in.
        self = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    init(from decoder: Decoder) throws {
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

    func encode(to encoder: Encoder) throws {
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
