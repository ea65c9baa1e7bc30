// LoadConnection: the load generator's connections — a thin client that hands each message to a
// closure on its event loop — and FastJSON, which finds the few fields a scenario reads without
// parsing the message on the fast path.
import ArgumentParser
import CaseCore
import Foundation
import Histogram
import Messaging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// One load connection: authenticated, its messages handed to `handler` on its event loop.
final class LoadConnection: Sendable {
    let connection: WebSocketClientConnection

    private init(connection: WebSocketClientConnection) { self.connection = connection }

    /// Connects, authenticates with the token and optionally joins `room`; after that every
    /// message goes to `handler`.
    static func open(hub: BenchHub, group: EventLoopGroup, join room: String?, handler: @escaping @Sendable (ByteBuffer) -> Void) async throws -> LoadConnection {
        let setup = NIOLockedValueBox<(waiting: String?, promise: EventLoopPromise<Void>?)>((nil, nil))
        let configuration = hub.connectionConfiguration { message in
            let (waiting, promise) = setup.withLockedValue { $0 }
            if let waiting, let promise, FastJSON.replyID(message.data) == waiting {
                setup.withLockedValue { $0 = (nil, nil) }
                if FastJSON.isOK(message.data) {
                    promise.succeed(())
                } else {
                    promise.fail(ClientFailure("refused: \(String(buffer: message.data).prefix(300))"))
                }
                return
            }
            handler(message.data)
        }
        let connection = try await WebSocketClient.connect(configuration: configuration, group: group)
        func request(_ id: String, _ text: String) async throws {
            let promise = connection.channel.eventLoop.makePromise(of: Void.self)
            setup.withLockedValue { $0 = (id, promise) }
            connection.channel.closeFuture.whenComplete { _ in promise.fail(ClientFailure("the connection closed during setup")) }
            try await connection.send(text: text)
            try await promise.futureResult.get()
        }
        do {
            try await request("auth", #"{"id":"auth","type":"auth","token":"\#(hub.token)"}"#)
            if let room { try await request("join", #"{"id":"join","type":"join","room":"\#(room)"}"#) }
        } catch {
            await connection.close()
            throw error
        }
        return LoadConnection(connection: connection)
    }

    func send(_ text: String) {
        connection.channel.writeAndFlush(WebSocketMessage.text(text), promise: nil)
    }

    func close() async { await connection.close() }
}

/// Just enough JSON reading for the load generator's fast path: the reply id, ok or not, and the
/// `text` of a message event. Our hub and the peer both write compact JSON.
enum FastJSON {
    /// A byte string to look for, with the byte of it that is least common in JSON text, which
    /// the search jumps between with `memchr`.
    struct Needle {
        let bytes: [UInt8]
        let anchor: Int

        init(_ text: String) {
            let bytes = Array(text.utf8)
            precondition(!bytes.isEmpty)
            // Most common first; a byte not listed is rarer than all of them.
            let common = Array(#"":,etaoinsrlcdumphgyfbwvk0123456789{}-_"#.utf8)
            let rank = { (byte: UInt8) in common.firstIndex(of: byte) ?? common.count }
            self.bytes = bytes
            anchor = bytes.indices.max { rank(bytes[$0]) < rank(bytes[$1]) }!
        }
    }

    /// Where `needle` first occurs in `bytes` (this runs for every delivery the load generator
    /// checks; a byte-by-byte search was 4 % of its time).
    static func find(_ needle: Needle, in bytes: UnsafeRawBufferPointer) -> Int? {
        let count = needle.bytes.count, anchor = needle.anchor, anchorByte = Int32(needle.bytes[anchor])
        guard count <= bytes.count, let base = bytes.baseAddress else { return nil }
        var from = anchor
        let last = bytes.count - count + anchor
        while from <= last {
            guard let hit = memchr(base + from, anchorByte, last - from + 1) else { return nil }
            let at = base.distance(to: UnsafeRawPointer(hit))
            let start = at - anchor
            if needle.bytes.withUnsafeBytes({ memcmp(base + start, $0.baseAddress!, count) }) == 0 { return start }
            from = at + 1
        }
        return nil
    }

    private static let eventType = Needle(#""type":"event""#)
    private static let idKey = Needle(#""id":""#)
    private static let okType = Needle(#""type":"ok""#)
    private static let textKey = Needle(#""text":"p"#)

    /// The `id` of a reply (nil for events).
    static func replyID(_ buffer: ByteBuffer) -> String? {
        buffer.withUnsafeReadableBytes { bytes in
            if find(eventType, in: bytes) != nil { return nil }
            guard let start = find(idKey, in: bytes) else { return nil }
            let from = start + idKey.bytes.count
            var end = from
            while end < bytes.count, bytes[end] != UInt8(ascii: "\"") { end += 1 }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[from..<end]), as: UTF8.self)
        }
    }

    static func isOK(_ buffer: ByteBuffer) -> Bool {
        buffer.withUnsafeReadableBytes { find(okType, in: $0) != nil }
    }

    /// For a reply (not an event) that is not `ok`: its text, shortened, to report.
    static func refusal(_ buffer: ByteBuffer) -> String? {
        guard replyID(buffer) != nil, !isOK(buffer) else { return nil }
        return String(String(buffer: buffer).prefix(300))
    }

    /// `(publisher, number, sentNanoseconds)` from a message whose text is `p<P> m<N> t<T> …`.
    static func loadMessage(_ buffer: ByteBuffer) -> (publisher: Int, number: Int, sent: UInt64)? {
        buffer.withUnsafeReadableBytes { bytes in
            guard var index = find(textKey, in: bytes) else { return nil }
            index += textKey.bytes.count
            func number() -> UInt64? {
                var value: UInt64 = 0
                var digits = 0
                while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                    value = value * 10 + UInt64(bytes[index] - 48)
                    index += 1
                    digits += 1
                }
                return digits > 0 ? value : nil
            }
            guard let publisher = number(), index + 2 < bytes.count, bytes[index] == 32, bytes[index + 1] == UInt8(ascii: "m") else { return nil }
            index += 2
            guard let sequence = number(), index + 2 < bytes.count, bytes[index] == 32, bytes[index + 1] == UInt8(ascii: "t") else { return nil }
            index += 2
            guard let sent = number() else { return nil }
            return (Int(publisher), Int(sequence), sent)
        }
    }
}
