// HubSession: the application behind one WebSocket connection to the hub. It decodes request
// envelopes and answers them; every request gets exactly one reply.
import Logging
import Messaging
import NIOCore

/// Protocol identifiers.
enum HubProtocol {
    /// The WebSocket subprotocol.
    static let subprotocol = "conferencehub.v1"
    /// The server's version string.
    static let serverVersion = "0.1.0"
}

/// Serves one connection's requests.
final class HubSession: ChannelInboundHandler {
    typealias InboundIn = WebSocketMessage
    typealias OutboundOut = WebSocketMessage

    private let connection: ConnectionContext

    init(connection: ConnectionContext) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        guard message.kind == .text else {
            return reply(context: context, Reply.error(id: nil, code: .badRequest, message: "binary messages are not part of the protocol; send JSON text"))
        }
        let request: Request
        do {
            request = try Request.decode(message.data)
        } catch {
            return reply(context: context, Reply.error(id: error.id, code: .badRequest, message: error.message))
        }
        switch request.type {
        case "hello":
            reply(context: context, Reply.ok(id: request.id, result: hello()))
        default:
            reply(context: context, Reply.error(id: request.id, code: .unknownCommand, message: "unknown command `\(request.type.prefix(64))`"))
        }
    }

    private func hello() -> [String: Any] {
        var result: [String: Any] = ["server": "conference-hub", "version": HubProtocol.serverVersion, "protocol": HubProtocol.subprotocol]
        if let tls = connection.tls {
            result["tls"] = ["version": tls.protocolVersion, "cipher": tls.cipherSuite]
            if let peer = tls.peerCertificate {
                result["certificate"] = ["subject": peer.subject, "sha256": peer.fingerprintSHA256]
            }
        }
        return result
    }

    private func reply(context: ChannelHandlerContext, _ data: ByteBuffer) {
        context.writeAndFlush(wrapOutboundOut(WebSocketMessage(kind: .text, data: data)), promise: nil)
    }
}

/// Echoes every message back unchanged: the conformance-test mode (`serve --echo`).
final class EchoSession: ChannelInboundHandler {
    typealias InboundIn = WebSocketMessage
    typealias OutboundOut = WebSocketMessage

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }
}
