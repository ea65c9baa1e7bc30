// WebSocketMessageAssembler: the pure rules that turn data frames into messages — fragmentation,
// the message size limit and UTF-8 validity — and say which close code a violation earns.
import NIOCore
import NIOWebSocket

/// Reassembles fragmented data frames into whole messages.
public struct WebSocketMessageAssembler {
    /// What one frame produced.
    public enum Output: Equatable {
        /// The frame was part of a message still in progress.
        case incomplete
        /// A whole message.
        case message(WebSocketMessage)
        /// The frame broke the protocol; close with this code.
        case failure(WebSocketErrorCode, String)
    }

    /// Largest message accepted, in bytes (a larger one closes with 1009).
    public let maxMessageSize: Int
    private var kind: WebSocketMessage.Kind?
    private var buffer: ByteBuffer?
    private var validator = UTF8Validator()

    public init(maxMessageSize: Int) {
        self.maxMessageSize = maxMessageSize
    }

    /// Whether a fragmented message is in progress.
    public var isAssembling: Bool { kind != nil }

    /// Takes one data frame (text, binary or continuation) with its payload already unmasked.
    public mutating func push(opcode: WebSocketOpcode, fin: Bool, payload: ByteBuffer) -> Output {
        var payload = payload
        switch opcode {
        case .text, .binary:
            guard kind == nil else {
                return .failure(.protocolError, "a new message started before the previous one finished")
            }
            let newKind: WebSocketMessage.Kind = opcode == .text ? .text : .binary
            guard payload.readableBytes <= maxMessageSize else {
                return .failure(.messageTooLarge, "message larger than \(maxMessageSize) bytes")
            }
            if newKind == .text {
                validator = UTF8Validator()
                guard validator.feed(payload.readableBytesView) else {
                    return .failure(.dataInconsistentWithMessage, "invalid UTF-8 in a text message")
                }
            }
            if fin {
                if newKind == .text, !validator.isAtBoundary {
                    return .failure(.dataInconsistentWithMessage, "truncated UTF-8 in a text message")
                }
                return .message(WebSocketMessage(kind: newKind, data: payload))
            }
            kind = newKind
            buffer = payload
            return .incomplete
        case .continuation:
            guard let current = kind, var assembled = buffer else {
                return .failure(.protocolError, "continuation frame without a message to continue")
            }
            guard assembled.readableBytes + payload.readableBytes <= maxMessageSize else {
                reset()
                return .failure(.messageTooLarge, "message larger than \(maxMessageSize) bytes")
            }
            if current == .text, !validator.feed(payload.readableBytesView) {
                reset()
                return .failure(.dataInconsistentWithMessage, "invalid UTF-8 in a text message")
            }
            buffer = nil  // keep the buffer uniquely referenced while appending
            assembled.writeBuffer(&payload)
            guard fin else {
                buffer = assembled
                return .incomplete
            }
            reset()
            if current == .text, !validator.isAtBoundary {
                return .failure(.dataInconsistentWithMessage, "truncated UTF-8 in a text message")
            }
            return .message(WebSocketMessage(kind: current, data: assembled))
        default:
            return .failure(.protocolError, "not a data frame")
        }
    }

    private mutating func reset() {
        kind = nil
        buffer = nil
    }
}

/// Rules for close frames (RFC 6455 §5.5.1, §7.4).
public enum WebSocketCloseRules {
    /// The result of reading a close frame's payload.
    public enum Parsed: Equatable {
        /// A well-formed close, possibly without a code (empty payload).
        case valid(code: UInt16?, reason: String)
        /// Malformed: answer with this close code.
        case invalid(WebSocketErrorCode, String)
    }

    /// Whether a peer may send `code` in a close frame.
    public static func isValidReceivedCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014: return true
        case 3000...4999: return true
        default: return false  // includes 1004-1006 and 1015, which must never be sent
        }
    }

    /// Parses an unmasked close payload.
    public static func parse(_ payload: ByteBuffer) -> Parsed {
        var payload = payload
        if payload.readableBytes == 0 { return .valid(code: nil, reason: "") }
        guard payload.readableBytes >= 2, let code = payload.readInteger(as: UInt16.self) else {
            return .invalid(.protocolError, "close frame with a one-byte payload")
        }
        guard isValidReceivedCode(code) else { return .invalid(.protocolError, "invalid close code \(code)") }
        guard UTF8Validator.isValid(payload.readableBytesView) else {
            return .invalid(.dataInconsistentWithMessage, "close reason is not valid UTF-8")
        }
        return .valid(code: code, reason: String(buffer: payload))
    }
}
