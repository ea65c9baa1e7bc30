// RawExchange: a TLS client that sends raw bytes and reads what the server sends until it
// closes — for requests no well-behaved HTTP client would send.
import Foundation
import NIOCore
import NIOPosix
import XCTest

@testable import Messaging

/// A TLS client that writes what it is told and records what comes back. Confined to its
/// channel's event loop: the test reads `received` through that loop.
final class RawClient: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let handshake: EventLoopPromise<Void>
    var received = ""

    init(handshake: EventLoopPromise<Void>) { self.handshake = handshake }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += String(buffer: unwrapInboundIn(data))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is TLSHandshakeCompleted { handshake.succeed(()) }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {}

    func channelInactive(context: ChannelHandlerContext) {
        handshake.fail(ChannelError.eof)
    }
}

/// Connects over TLS, waits for the handshake, sends `request` (if any) and returns what the
/// server sent by the time it closed the connection.
func sendAndAwaitClose(_ request: String?, port: Int, group: EventLoopGroup) async throws -> String {
    let loop = group.next()
    let handshake = loop.makePromise(of: Void.self)
    let client = RawClient(handshake: handshake)
    let context = try TLSContext(role: .client, configuration: TestPKI.clientConfiguration(hostname: "127.0.0.1"))
    let channel = try await ClientBootstrap(group: loop).channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(TLSHandler(context: context))
            try channel.pipeline.syncOperations.addHandler(client)
        }
    }.connect(host: "127.0.0.1", port: port).get()
    try await handshake.futureResult.get()
    if let request { try await channel.writeAndFlush(ByteBuffer(string: request)).get() }
    // Bounded: a server that never closes fails the test instead of hanging it.
    let closed = loop.makePromise(of: Void.self)
    channel.closeFuture.cascade(to: closed)
    let bound = loop.scheduleTask(in: .seconds(30)) { closed.fail(ChannelError.ioOnClosedChannel) }
    do {
        try await closed.futureResult.get()
    } catch {
        channel.close(promise: nil)
        XCTFail("the server did not close the connection within 30 s (\(request ?? "nothing sent"))")
    }
    bound.cancel()
    return try await loop.submit { client.received }.get()
}
