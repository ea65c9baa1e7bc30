// WireNames: one name per concept on the whole wire. CaseCore's values are stored with their own
// field names (which hashed events and stored states keep); the wire shows them with the
// protocol's names: a case is `case` ("case-12"), a meeting `meeting` ("meeting-3"), the lead
// unit `lead`, the co-handling units `co_handling`, a task `task`, a supervision item `item`, and
// a case's handling plan is one `plan` object. CHANGELOG.md lists what 0.3.0 renamed.
import CaseCore
import Messaging
import Foundation

enum WireNames {
    /// Keys renamed wherever they appear, with their value unchanged.
    static let renamed = ["lead_unit": "lead", "co_handling_units": "co_handling"]
    /// Keys whose integer value becomes a prefixed id under another key.
    static let ids = ["case_id": ("case", "case-"), "meeting_id": ("meeting", "meeting-")]

    // A case is written by WireCase, field by field; WireCaseTests holds it to these names.

    /// A meeting as the wire shows it.
    static func meeting(_ meeting: Meeting) throws -> JSONValue {
        guard case .object(var object) = canonical(try tree(meeting)) else { return .null }
        object["id"] = nil
        object["meeting"] = .string(RoomID.meeting(meeting.id))
        return .object(object)
    }

    /// Any other CaseCore value (a case event, a negotiation…) with the protocol's names.
    static func value<T: Encodable>(_ value: T) throws -> JSONValue { canonical(try tree(value)) }

    private static let unsortedWriter = StreamingJSONEncoder(keys: .snakeCase)

    /// `value` as the wire coder writes it (snake_case keys).
    static func tree<T: Encodable>(_ value: T) throws -> JSONValue {
        // Keys unsorted: the tree is a dictionary, sorted once when the reply is written.
        try JSONValue(json: unsortedWriter.encode(value))
    }

    /// Applies `renamed` and `ids` throughout a tree.
    static func canonical(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let elements):
            return .array(elements.map(canonical))
        case .object(let object):
            var result: [String: JSONValue] = [:]
            for (key, element) in object {
                if let (name, prefix) = ids[key], case .integer(let number) = element {
                    result[name] = .string(prefix + String(number))
                } else {
                    result[renamed[key] ?? key] = canonical(element)
                }
            }
            return .object(result)
        default:
            return value
        }
    }

}
