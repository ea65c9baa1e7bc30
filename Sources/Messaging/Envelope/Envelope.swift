// Envelope: the JSON framing of every message on `/v1/ws` (subprotocol `conferencehub.v1`).
// Requests carry a client-chosen `id` and a `type` (the command); every request gets one reply,
// `{"id","type":"ok","result"}` or `{"id","type":"error","error":{"code","message"}}`.
import Foundation
import NIOCore

/// The conference protocol's identifiers, defined once for the hub and its clients.
public enum ConferenceProtocol {
    /// The WebSocket subprotocol: offered by clients, chosen by the hub.
    public static let subprotocol = "conferencehub.v1"
}

/// Stable error codes of the wire protocol (docs/protocol.md lists them all).
public enum ErrorCode: String, Sendable, CaseIterable {
    /// The message is not a JSON object, or a field has the wrong type or size.
    case badRequest = "bad_request"
    /// The `type` names no command this server knows.
    case unknownCommand = "unknown_command"
    /// The connection has not authenticated yet; only `hello` and `auth` are allowed.
    case unauthenticated
    /// The token (or certificate) is unknown or revoked.
    case unauthorized
    /// The person's roles or unit do not allow this.
    case forbidden
    /// No such room, case or person.
    case notFound = "not_found"
    /// The case is not in a state that allows this change.
    case invalidState = "invalid_state"
    /// An argument is out of range or inconsistent.
    case invalidArgument = "invalid_argument"
    /// The window for this change has closed.
    case windowClosed = "window_closed"
    /// Too many requests; `retry_after_ms` says when to try again.
    case rateLimited = "rate_limited"
    /// A per-connection or per-person limit (rooms joined, connections) is reached.
    case limitExceeded = "limit_exceeded"
    /// The room must be joined first.
    case notJoined = "not_joined"
    /// The store cannot write now (its disk is full or failing): nothing was changed, reading
    /// works, and the same request may be retried after `retry_after_ms`.
    case storageUnavailable = "storage_unavailable"
    /// The server failed; the request may be retried.
    case `internal`
}

/// A decoded request.
public struct Request {
    /// Largest accepted `id`, in UTF-8 bytes.
    public static let maxIDLength = 128
    /// Largest accepted `type`, in UTF-8 bytes.
    public static let maxTypeLength = 64

    /// The client's request id, echoed in the reply.
    public let id: String
    /// The command.
    public let type: String
    /// Every field of the request object (unknown fields are ignored by commands).
    public let fields: [String: JSONValue]
    /// The message's bytes, for decoding a command's parameters with a typed decoder.
    public let raw: Data

    /// Why a message could not be decoded, with the id when it was readable.
    public struct DecodeError: Error {
        public let id: String?
        public let message: String
    }

    /// Decodes one text message.
    public static func decode(_ data: ByteBuffer) throws(DecodeError) -> Request {
        try decode(data, stringFields: FlatJSON.stringFields(data))
    }

    /// When a message is JSON but for numbers no number type holds (`1e400`), the refusal names
    /// the first of them, with the request's id: the text is parsed again with those numbers
    /// read as 0, only to find the id.
    /// As much of a request's `id` as a reply may safely carry: a string as it is, an empty one
    /// as `""`, a longer one than `maxIDLength` cut to its first `maxIDLength` bytes (at a
    /// character's end), so that the reply stays small; nil for anything that is not a string.
    static func echoable(_ id: JSONValue?) -> String? {
        guard let id = id?.string else { return nil }
        guard id.utf8.count > maxIDLength else { return id }
        var cut = ""
        for character in id {
            guard cut.utf8.count + character.utf8.count <= maxIDLength else { break }
            cut.append(character)
        }
        return cut
    }

    private static func numberOutOfRange(_ data: ByteBuffer) -> DecodeError? {
        let numbers = FlatJSON.numbersOutOfRange(data)
        guard let first = numbers.first else { return nil }
        var bytes = Array(data.readableBytesView)
        for number in numbers.reversed() { bytes.replaceSubrange(number.range, with: [UInt8(ascii: "0")]) }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else { return nil }
        let id = echoable(object["id"].map(JSONValue.init(foundation:)))
        let name = first.path.isEmpty ? "the request" : "`\(first.path)`"
        return DecodeError(id: id, message: "\(name) is out of range (a number beyond any the protocol reads)")
    }

    /// Decodes one text message whose `FlatJSON.stringFields` the caller already has (nil when
    /// it is not a flat object of strings). A flat object is taken from those fields; anything
    /// else goes through `JSONSerialization`. Both give the same fields and the same errors.
    public static func decode(_ data: ByteBuffer, stringFields: [String: String]?) throws(DecodeError) -> Request {
        let raw = Data(data.readableBytesView)
        let object: [String: JSONValue]
        // FlatJSON reads only objects without a repeated key; anything else is checked here.
        var repeated: String?
        if let stringFields {
            object = stringFields.mapValues(JSONValue.string)
        } else {
            let parsed: Any
            do {
                parsed = try JSONSerialization.jsonObject(with: raw, options: [])
            } catch {
                throw numberOutOfRange(data) ?? DecodeError(id: nil, message: "the message is not valid JSON")
            }
            guard let dictionary = parsed as? [String: Any] else {
                throw DecodeError(id: nil, message: "a request must be a JSON object")
            }
            object = dictionary.mapValues(JSONValue.init(foundation:))
            repeated = FlatJSON.repeatedKey(data)
        }
        if repeated == "id" {
            throw DecodeError(id: nil, message: "`id` appears twice; each key may appear once in an object")
        }
        let rawID = object["id"]
        let id = rawID?.string
        guard let id, !id.isEmpty, id.utf8.count <= maxIDLength else {
            throw DecodeError(id: echoable(rawID), message: "`id` must be a non-empty string of at most \(maxIDLength) bytes")
        }
        if let repeated {
            throw DecodeError(id: id, message: "`\(repeated)` appears twice; each key may appear once in an object")
        }
        guard let type = object["type"]?.string, !type.isEmpty, type.utf8.count <= maxTypeLength else {
            throw DecodeError(id: id, message: "`type` must be a non-empty string of at most \(maxTypeLength) bytes")
        }
        return Request(id: id, type: type, fields: object, raw: raw)
    }
}

/// Encodes replies and events.
public enum Reply {
    private struct ErrorEnvelope: Encodable {
        struct Body: Encodable {
            let code: String
            let message: String
            let retryAfterMs: Int?

            enum CodingKeys: String, CodingKey { case code, message, retryAfterMs = "retry_after_ms" }
        }

        let id: String?
        let error: Body

        enum CodingKeys: String, CodingKey { case id, error, type }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)  // null when the request's id could not be read
            try container.encode(error, forKey: .error)
            try container.encode("error", forKey: .type)
        }
    }

    /// `{"id": id, "type": "error", "error": {"code": code, "message": message}}`; `id` is null
    /// when the request's id could not be read. `retryAfterMs` (with `rate_limited`) says when to
    /// try again.
    public static func error(id: String?, code: ErrorCode, message: String, retryAfterMs: Int? = nil) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let envelope = ErrorEnvelope(id: id, error: .init(code: code.rawValue, message: message, retryAfterMs: retryAfterMs))
        guard let data = try? encoder.encode(envelope) else {
            return ByteBuffer(string: #"{"error":{"code":"internal","message":"reply could not be encoded"},"id":null,"type":"error"}"#)
        }
        return ByteBuffer(bytes: data)
    }

    /// `{"id": id, "result": {"duplicate": …, "room": …, "seq": …}, "type": "ok"}` written
    /// directly (the hot path of `post`; the same bytes JSONSerialization would give).
    public static func posted(id: String, room: String, sequence: Int64, duplicate: Bool) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(64 + id.utf8.count + room.utf8.count)
        buffer.writeStaticString(#"{"id":"#)
        writeJSONString(id, to: &buffer)
        buffer.writeStaticString(#","result":{"duplicate":"#)
        buffer.writeStaticString(duplicate ? "true" : "false")
        buffer.writeStaticString(#","room":"#)
        writeJSONString(room, to: &buffer)
        buffer.writeStaticString(#","seq":"#)
        buffer.writeString(String(sequence))
        buffer.writeStaticString(#"},"type":"ok"}"#)
        return buffer
    }

    /// A JSON string literal for `text`: quotes, backslashes and control characters escaped (as
    /// JSONSerialization escapes them; other characters, slashes included, as they are).
    public static func writeJSONString(_ text: String, to buffer: inout ByteBuffer) {
        var text = text
        text.makeContiguousUTF8()
        text.utf8.withContiguousStorageIfAvailable { bytes in
            buffer.writeInteger(UInt8(ascii: "\""))
            // Runs of bytes that need no escape are copied whole.
            var runStart = 0
            for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                if runStart < index { buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[runStart..<index]))) }
                runStart = index + 1
                switch byte {
                case UInt8(ascii: "\""): buffer.writeStaticString(#"\""#)
                case UInt8(ascii: "\\"): buffer.writeStaticString(#"\\"#)
                case 0x08: buffer.writeStaticString(#"\b"#)
                case 0x0C: buffer.writeStaticString(#"\f"#)
                case 0x0A: buffer.writeStaticString(#"\n"#)
                case 0x0D: buffer.writeStaticString(#"\r"#)
                case 0x09: buffer.writeStaticString(#"\t"#)
                default: buffer.writeString(String(format: "\\u%04x", Int(byte)))
                }
            }
            if runStart < bytes.count { buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[runStart...]))) }
            buffer.writeInteger(UInt8(ascii: "\""))
        }
    }
}
