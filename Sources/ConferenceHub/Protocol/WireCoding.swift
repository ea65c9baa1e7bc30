// WireCoding: how CaseCore values and command results are written on the wire (snake_case keys,
// sorted) and how a request's parameters are read, with decoding errors turned into one sentence
// naming the field.
import CaseCore
import Foundation
import Messaging

/// JSON coding of CaseCore values on the wire: snake_case keys.
enum WireCoding {
    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    /// Replies, events and documents as the wire writes them: snake_case keys, sorted, in one
    /// pass (the same bytes as `encoder`, several times faster; StreamingJSONEncoderTests).
    static let writer = StreamingJSONEncoder(keys: .snakeCase, sorted: true)

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] { try writer.encode(value) }

    /// The same with Foundation's encoder, for the command line's pretty-printed output.
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// `involvedUnits` → `involved_units`, as the field is named on the wire.
    static func snake(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// A decoding error as one sentence naming the field. `fields` is the request as the hub
    /// read it: the typed decoder reports a number that does not fit its field (a fraction, or
    /// beyond 64 bits) as invalid JSON at the root, naming nothing, so the number is looked for there.
    static func describe(_ error: DecodingError, fields: [String: JSONValue]) -> String {
        if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
           let problem = numberProblem(in: .object(fields), path: []) {
            return problem
        }
        return describe(error)
    }

    /// The first number in `value` (keys in sorted order) that no integer field could take — a
    /// fraction, or beyond 64 bits — as a sentence naming it; nil when there is none.
    static func numberProblem(in value: JSONValue, path: [String]) -> String? {
        func name() -> String { path.isEmpty ? "the request" : "`" + path.joined(separator: ".") + "`" }
        switch value {
        case .object(let object):
            for key in object.keys.sorted() {
                if let problem = numberProblem(in: object[key]!, path: path + [key]) { return problem }
            }
        case .array(let array):
            for (index, element) in array.enumerated() {
                if let problem = numberProblem(in: element, path: path + ["[\(index)]"]) { return problem }
            }
        case .number(let double):
            if double.rounded(.towardZero) != double { return "\(name()) must be a whole number" }
            if double >= 0x1p63 { return "\(name()) is out of range (at most \(Int64.max))" }
            if double <= -0x1p63 { return "\(name()) is out of range (\(Int64.min) to \(Int64.max))" }
        case .null, .bool, .integer, .string:
            break
        }
        return nil
    }

    /// A decoding error as one sentence naming the field.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let names = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? snake($0.stringValue) }
            return names.isEmpty ? "the request" : "`" + names.joined(separator: ".") + "`"
        }
        switch error {
        case .keyNotFound(let key, let context):
            let prefix = context.codingPath.isEmpty ? "" : path(context) + ": "
            return "\(prefix)`\(snake(key.stringValue))` is required"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context)) has the wrong type"
        case .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "the request could not be read"
        }
    }
}

/// A tree of JSON inside a reply (a stored event, a case as the wire shows it) is written by the
/// wire's encoder directly, not through Codable's containers.
extension JSONValue: DirectJSONValue {
    public func write(to output: JSONValueOutput) throws {
        switch self {
        case .null: output.null()
        case .bool(let value): output.bool(value)
        case .integer(let value): output.integer(value)
        case .number(let value): try output.number(value)
        case .string(let value): output.string(value)
        case .array(let elements): try output.array(elements)
        case .object(let members): try output.object(members)
        }
    }
}

/// A value already written as the wire writes it (`WireCoding.encode`), copied into a reply as it
/// is: a page of whole cases is written case by case over the machine's cores, then joined.
struct EncodedWireValue: Encodable, DirectJSONValue, Sendable {
    let bytes: [UInt8]

    init<T: Encodable>(_ value: T) throws { bytes = try WireCoding.encode(value) }

    func write(to output: JSONValueOutput) throws { output.encoded(bytes) }

    /// Through another encoder (the command line's), as the tree it is.
    func encode(to encoder: any Encoder) throws {
        try JSONDecoder().decode(JSONValue.self, from: Data(bytes)).encode(to: encoder)
    }
}
