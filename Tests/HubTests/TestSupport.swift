// Test support: a throwaway PKI, and an in-memory client↔server TLS pair over EmbeddedChannels.
import Foundation
import NIOCore
import NIOEmbedded
import XCTest

@testable import ConferenceHub
@testable import Messaging

/// Certificates for tests, generated once per process.
enum TestPKI {
    static let authority = try! CertificateFactory.makeAuthority(commonName: "Test Conference CA")
    static let otherAuthority = try! CertificateFactory.makeAuthority(commonName: "Some Other CA")
    static let server = try! CertificateFactory.issue(
        commonName: "localhost", usage: .server(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1", "::1"]),
        signedBy: authority)
    static let expiredServer = try! CertificateFactory.issue(
        commonName: "localhost", usage: .server(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"]),
        notBefore: Date().addingTimeInterval(-10 * 86_400), validity: 86_400, signedBy: authority)
    static let client = try! CertificateFactory.issue(
        commonName: "officer-1", organization: "Housing Bureau", usage: .client, signedBy: authority)
    static let foreignClient = try! CertificateFactory.issue(
        commonName: "intruder", usage: .client, signedBy: otherAuthority)

    static func serverConfiguration(
        mode: ClientCertificateMode = .optional, identity: CertificateIdentity = server
    ) -> TLSConfiguration {
        .server(
            certificateChainPEM: identity.certificatePEM, privateKeyPEM: identity.privateKeyPEM,
            trustRootsPEM: authority.certificatePEM, clientCertificateMode: mode)
    }

    static func clientConfiguration(
        trusting root: CertificateIdentity = authority, hostname: String? = "localhost",
        identity: CertificateIdentity? = nil, maximumVersion: TLSConfiguration.TLSVersion = .tls13
    ) -> TLSConfiguration {
        var configuration = TLSConfiguration.client(
            trustRootsPEM: root.certificatePEM, serverHostname: hostname,
            certificateChainPEM: identity?.certificatePEM, privateKeyPEM: identity?.privateKeyPEM)
        configuration.maximumVersion = maximumVersion
        return configuration
    }
}

/// Records what reaches the end of a pipeline: plaintext, user events, errors, inactivity.
final class Recorder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    var received = ByteBuffer()
    var readCount = 0
    var events: [Any] = []
    var errors: [Error] = []
    var inactive = false
    /// Plaintext seen before the TLS close_notify event, if one came.
    var receivedBeforeCloseNotify: String?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        readCount += 1
        received.writeBuffer(&buffer)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is TLSCloseNotifyReceived { receivedBeforeCloseNotify = String(buffer: received) }
        events.append(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        errors.append(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        inactive = true
    }

    var handshake: TLSHandshakeCompleted? { events.lazy.compactMap { $0 as? TLSHandshakeCompleted }.first }
    var tlsErrors: [TLSError] { errors.compactMap { $0 as? TLSError } }
    var text: String { String(buffer: received) }
}

/// A client and a server TLSHandler on EmbeddedChannels, with bytes moved between them by hand.
final class TLSPair {
    let loop = EmbeddedEventLoop()
    let client: EmbeddedChannel
    let server: EmbeddedChannel
    let clientRecorder = Recorder()
    let serverRecorder = Recorder()
    /// Socket writes (outbound buffers) each side has made.
    var clientSocketWrites = 0
    var serverSocketWrites = 0
    /// Bytes the server has sent.
    var serverBytes = 0

    init(client clientConfiguration: TLSConfiguration, server serverConfiguration: TLSConfiguration) throws {
        client = EmbeddedChannel(loop: loop)
        server = EmbeddedChannel(loop: loop)
        try client.pipeline.syncOperations.addHandler(
            TLSHandler(context: TLSContext(role: .client, configuration: clientConfiguration)))
        try client.pipeline.syncOperations.addHandler(clientRecorder)
        try server.pipeline.syncOperations.addHandler(
            TLSHandler(context: TLSContext(role: .server, configuration: serverConfiguration)))
        try server.pipeline.syncOperations.addHandler(serverRecorder)
    }

    /// Activates both channels (the client sends its ClientHello) and shuttles bytes until quiet.
    func connect() throws {
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 1)
        try server.connect(to: address).wait()
        try client.connect(to: address).wait()
        try interact()
    }

    /// Moves every outbound buffer to the other side until neither has anything to send.
    func interact() throws {
        var moved = true
        while moved {
            moved = false
            while let bytes = try client.readOutbound(as: ByteBuffer.self) {
                clientSocketWrites += 1
                moved = true
                if server.isActive { try server.writeInbound(bytes) }
            }
            while let bytes = try server.readOutbound(as: ByteBuffer.self) {
                serverSocketWrites += 1
                serverBytes += bytes.readableBytes
                moved = true
                if client.isActive { try client.writeInbound(bytes) }
            }
        }
    }

    /// Closes both sides without waiting for close_notify (the shutdown timer fires on the embedded
    /// clock); errors are in the recorders.
    func finish() {
        client.close(promise: nil)
        server.close(promise: nil)
        loop.advanceTime(by: .seconds(3600))
        _ = try? client.finish(acceptAlreadyClosed: true)
        _ = try? server.finish(acceptAlreadyClosed: true)
    }
}

extension XCTestCase {
    /// A fresh temporary directory, removed after the test.
    func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "chub-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }
}

/// A child process (`conference-hub serve` or `bench`) with its standard output and error piped.
final class ChildProcess {
    let process = Process()
    let output = Pipe()
    let errors = Pipe()
    private let exited = DispatchSemaphore(value: 0)

    init(_ executable: URL, _ arguments: [String]) throws {
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = errors
        let exited = self.exited
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
    }

    /// Reads `pipe` until `marker` has been read or the stream ends; returns the text read.
    static func read(_ pipe: Pipe, until marker: String) -> String {
        read(pipe) { $0.contains(marker) }
    }

    /// Reads `pipe` until the text read so far satisfies `done`, the stream ends, or `seconds`
    /// pass (so that a test waiting for a line that never comes fails rather than hangs).
    static func read(_ pipe: Pipe, seconds: Int = 60, until done: (String) -> Bool) -> String {
        let descriptor = pipe.fileHandleForReading.fileDescriptor
        let deadline = ContinuousClock.now + .seconds(seconds)
        var text = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !done(text) {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { break }
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(min(left.components.seconds * 1_000 + 1, 60_000))
            guard poll(&entry, 1, milliseconds) > 0 else { continue }
            let count = Glibc.read(descriptor, &buffer, buffer.count)
            guard count > 0 else { break }
            text += String(decoding: buffer[0..<count], as: UTF8.self)
        }
        return text
    }

    /// Waits for the process to end, at most `seconds`; false if it is still running then.
    func waitForExit(seconds: Int) -> Bool {
        exited.wait(timeout: .now() + .seconds(seconds)) == .success
    }

    /// The rest of standard error, once the process has ended.
    func remainingErrors() -> String {
        String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    /// A test that failed part-way leaves no process behind.
    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

extension DataDirectory {
    /// Connects to a `serve` of this data directory as its administrator, with the client
    /// certificate its first start wrote.
    func connectAsAdmin(port: Int, group: EventLoopGroup) async throws -> (WebSocketClientConnection, CertificateIdentity) {
        let admin = try CertificateIdentity(
            certificatePEM: read(adminCredential + "/cert.pem"), privateKeyPEM: read(adminCredential + "/key.pem"))
        var configuration = WebSocketClientConfiguration(
            host: "127.0.0.1", port: port,
            tls: .client(trustRootsPEM: try read(caCertificate), serverHostname: "127.0.0.1",
                         certificateChainPEM: admin.certificatePEM, privateKeyPEM: admin.privateKeyPEM))
        configuration.subprotocols = [ConferenceProtocol.subprotocol]
        return (try await WebSocketClient.connect(configuration: configuration, group: group), admin)
    }
}
