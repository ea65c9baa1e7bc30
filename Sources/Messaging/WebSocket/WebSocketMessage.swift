// WebSocketMessage: a whole (reassembled) WebSocket data message, inbound or outbound.
import NIOCore
import NIOWebSocket

/// A complete text or binary message. Text payloads are valid UTF-8.
public struct WebSocketMessage: Sendable, Equatable {
    /// The message type.
    public enum Kind: Sendable, Equatable {
        case text
        case binary
        /// Outbound only, server side: complete unmasked frames, already encoded, written as they
        /// are. Fan-out encodes a batch of events once and writes the same bytes to every member.
        case frames
    }

    public var kind: Kind
    /// The payload. For fan-out, the same buffer is shared by every recipient (no copy).
    public var data: ByteBuffer

    public init(kind: Kind, data: ByteBuffer) {
        self.kind = kind
        self.data = data
    }

    /// A text message.
    public static func text(_ string: String) -> WebSocketMessage {
        WebSocketMessage(kind: .text, data: ByteBuffer(string: string))
    }

    /// A binary message.
    public static func binary(_ data: ByteBuffer) -> WebSocketMessage {
        WebSocketMessage(kind: .binary, data: data)
    }

    /// Appends one server-to-client text frame (FIN set, unmasked) carrying `payload` to
    /// `buffer`; returns the number of bytes written.
    @discardableResult
    public static func appendTextFrame<Bytes: Collection>(_ payload: Bytes, to buffer: inout ByteBuffer) -> Int where Bytes.Element == UInt8 {
        let length = payload.count
        var written = buffer.writeInteger(UInt8(0x81))
        if length < 126 {
            written += buffer.writeInteger(UInt8(length))
        } else if length <= Int(UInt16.max) {
            written += buffer.writeInteger(UInt8(126))
            written += buffer.writeInteger(UInt16(length))
        } else {
            written += buffer.writeInteger(UInt8(127))
            written += buffer.writeInteger(UInt64(length))
        }
        return written + buffer.writeBytes(payload)
    }

    /// The payload as a string, for text messages.
    public var text: String? {
        kind == .text ? String(buffer: data) : nil
    }
}

/// Ask the WebSocket handler to close with a particular code (send as a user outbound event).
public struct WebSocketCloseRequest: Sendable {
    public var code: WebSocketErrorCode
    public var reason: String

    public init(code: WebSocketErrorCode, reason: String = "") {
        self.code = code
        self.reason = reason
    }
}

/// Fired as a user inbound event when the peer's close frame arrives (before the transport closes).
public struct WebSocketCloseReceived: Sendable, Equatable {
    /// The peer's close code; nil when its close frame had no payload.
    public var code: UInt16?
    public var reason: String
}
