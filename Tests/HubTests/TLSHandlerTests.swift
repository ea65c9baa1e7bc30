// TLSHandlerTests: our OpenSSL channel handler, client↔server in memory.
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import XCTest

@testable import Messaging

final class TLSHandlerTests: XCTestCase {
    func testTLS13HandshakeNegotiatesPolicyAndALPN() throws {
        let pair = try TLSPair(client: TestPKI.clientConfiguration(), server: TestPKI.serverConfiguration())
        defer { pair.finish() }
        try pair.connect()
        let client = try XCTUnwrap(pair.clientRecorder.handshake)
        let server = try XCTUnwrap(pair.serverRecorder.handshake)
        XCTAssertEqual(client.protocolVersion, "TLSv1.3")
        XCTAssertEqual(server.protocolVersion, "TLSv1.3")
        XCTAssertEqual(client.applicationProtocol, "http/1.1")
        XCTAssertEqual(server.applicationProtocol, "http/1.1")
        XCTAssertTrue(["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"].contains(client.cipherSuite))
        XCTAssertNil(server.peerCertificate, "no client certificate was presented")
        XCTAssertEqual(client.peerCertificate?.commonName, "localhost")
    }

    func testTLS12HandshakeUsesForwardSecretAEADSuite() throws {
        let pair = try TLSPair(client: TestPKI.clientConfiguration(maximumVersion: .tls12), server: TestPKI.serverConfiguration())
        defer { pair.finish() }
        try pair.connect()
        let server = try XCTUnwrap(pair.serverRecorder.handshake)
        XCTAssertEqual(server.protocolVersion, "TLSv1.2")
        XCTAssertTrue(server.cipherSuite.hasPrefix("ECDHE-"), server.cipherSuite)
        XCTAssertTrue(server.cipherSuite.contains("GCM") || server.cipherSuite.contains("CHACHA20"), server.cipherSuite)
    }

    func testVerifiedClientCertificateIsExposedWithFingerprintAndSubject() throws {
        let pair = try TLSPair(
            client: TestPKI.clientConfiguration(identity: TestPKI.client), server: TestPKI.serverConfiguration(mode: .required))
        defer { pair.finish() }
        try pair.connect()
        let peer = try XCTUnwrap(pair.serverRecorder.handshake?.peerCertificate)
        XCTAssertEqual(peer.fingerprintSHA256, TestPKI.client.fingerprintSHA256)
        XCTAssertEqual(peer.fingerprintSHA256.count, 64)
        XCTAssertEqual(peer.commonName, "officer-1")
        XCTAssertEqual(peer.subject, "CN=officer-1,O=Housing Bureau")
    }

    func testClientRejectsServerSignedByAnotherCA() throws {
        let pair = try TLSPair(
            client: TestPKI.clientConfiguration(trusting: TestPKI.otherAuthority), server: TestPKI.serverConfiguration())
        defer { pair.finish() }
        try pair.connect()
        XCTAssertNil(pair.clientRecorder.handshake)
        let error = try XCTUnwrap(pair.clientRecorder.tlsErrors.first)
        XCTAssertEqual(error.kind, .certificateVerificationFailed)
        // OpenSSL names the broken link ("unable to get local issuer certificate" or "self-signed
        // certificate in certificate chain", depending on what the server sends).
        XCTAssertNotNil(error.detail)
        XCTAssertFalse(pair.client.isActive)
        XCTAssertNil(pair.serverRecorder.handshake, "the server must not complete a handshake the client aborted")
    }

    func testClientRejectsExpiredServerCertificate() throws {
        let pair = try TLSPair(
            client: TestPKI.clientConfiguration(), server: TestPKI.serverConfiguration(identity: TestPKI.expiredServer))
        defer { pair.finish() }
        try pair.connect()
        let error = try XCTUnwrap(pair.clientRecorder.tlsErrors.first)
        XCTAssertEqual(error.kind, .certificateVerificationFailed)
        XCTAssertTrue(error.description.contains("certificate has expired"), error.description)
    }

    func testClientRejectsWrongHostname() throws {
        let pair = try TLSPair(client: TestPKI.clientConfiguration(hostname: "hub.example.org"), server: TestPKI.serverConfiguration())
        defer { pair.finish() }
        try pair.connect()
        XCTAssertEqual(pair.clientRecorder.tlsErrors.first?.kind, .certificateVerificationFailed)
    }

    func testRequiredClientCertificateMissingFailsServerHandshake() throws {
        let pair = try TLSPair(client: TestPKI.clientConfiguration(), server: TestPKI.serverConfiguration(mode: .required))
        defer { pair.finish() }
        try pair.connect()
        XCTAssertNil(pair.serverRecorder.handshake)
        let error = try XCTUnwrap(pair.serverRecorder.tlsErrors.first)
        XCTAssertTrue(error.description.contains("peer did not return a certificate"), error.description)
        XCTAssertFalse(pair.server.isActive)
    }

    func testClientCertificateFromAnotherCAIsRejected() throws {
        let pair = try TLSPair(
            client: TestPKI.clientConfiguration(identity: TestPKI.foreignClient), server: TestPKI.serverConfiguration(mode: .optional))
        defer { pair.finish() }
        try pair.connect()
        XCTAssertNil(pair.serverRecorder.handshake)
        XCTAssertEqual(pair.serverRecorder.tlsErrors.first?.kind, .certificateVerificationFailed)
    }

    func testFlushedWritesLeaveAsOneSocketWrite() throws {
        let pair = try TLSPair(client: TestPKI.clientConfiguration(), server: TestPKI.serverConfiguration())
        defer { pair.finish() }
        try pair.connect()
        for index in 0..<50 {
            pair.client.write(ByteBuffer(string: "message \(index);"), promise: nil)
        }
        XCTAssertNil(try pair.client.readOutbound(as: ByteBuffer.self), "nothing leaves before flush")
        pair.client.flush()
        let ciphertext = try XCTUnwrap(pair.client.readOutbound(as: ByteBuffer.self))
        XCTAssertNil(try pair.client.readOutbound(as: ByteBuffer.self), "50 writes and one flush make one socket write")
        // 50 small writes fit one TLS record: 5 header bytes + at most ~600 plaintext + 17 AEAD/type bytes.
        XCTAssertLessThan(ciphertext.readableBytes, 5 + 700 + 17)
        try pair.server.writeInbound(ciphertext)
        XCTAssertEqual(pair.serverRecorder.readCount, 1, "one record decrypts in one read")
        XCTAssertEqual(pair.serverRecorder.text, (0..<50).map { "message \($0);" }.joined())
    }

    func testLargeWriteIsSplitIntoFullRecords() throws {
        let pair = try TLSPair(client: TestPKI.clientConfiguration(), server: TestPKI.serverConfiguration())
        defer { pair.finish() }
        try pair.connect()
        let payload = String(repeating: "x", count: 100_000)
        pair.client.writeAndFlush(ByteBuffer(string: payload), promise: nil)
        let ciphertext = try XCTUnwrap(pair.client.readOutbound(as: ByteBuffer.self))
        XCTAssertNil(try pair.client.readOutbound(as: ByteBuffer.self), "one socket write for all records")
        try pair.server.writeInbound(ciphertext)
        XCTAssertEqual(pair.serverRecorder.received.readableBytes, 100_000)
        XCTAssertEqual(pair.serverRecorder.readCount, 7, "ceil(100000 / 16384) records")
    }

    func testCiphertextArrivingInPiecesDecryptsWhole() throws {
        // Reads are sized by what OpenSSL holds; records split across network reads, several
        // records in one read, and a record larger than the first piece all come out whole.
        let pair = try TLSPair(client: TestPKI.clientConfiguration(), server: TestPKI.serverConfiguration())
        defer { pair.finish() }
        try pair.connect()
        let payload = (0..<3_000).map { "chunk \($0);" }.joined()
        pair.client.writeAndFlush(ByteBuffer(string: payload), promise: nil)
        var ciphertext = try XCTUnwrap(pair.client.readOutbound(as: ByteBuffer.self))
        var pieces = 0
        var generator = SystemRandomNumberGenerator()
        while ciphertext.readableBytes > 0 {
            let size = min(ciphertext.readableBytes, pieces.isMultiple(of: 3) ? 1 : Int.random(in: 2...9_000, using: &generator))
            try pair.server.writeInbound(ciphertext.readSlice(length: size)!)
            pieces += 1
        }
        XCTAssertEqual(pair.serverRecorder.text, payload)
        XCTAssertGreaterThanOrEqual(pair.serverRecorder.readCount, 3, "\(payload.utf8.count) bytes are at least three records")
    }

    func testASelfSignedRootInTheCertificateFileIsNotSent() throws {
        // `init` writes server.pem as leaf + CA; the client already trusts the CA, so sending it
        // would only cost a parse per handshake.
        func handshakeBytes(chain: String) throws -> Int {
            var configuration = TestPKI.serverConfiguration()
            configuration.certificateChainPEM = chain
            let pair = try TLSPair(client: TestPKI.clientConfiguration(), server: configuration)
            defer { pair.finish() }
            try pair.connect()
            XCTAssertNotNil(pair.clientRecorder.events.first { $0 is TLSHandshakeCompleted }, "the handshake completes")
            return pair.serverBytes
        }
        let leafOnly = try handshakeBytes(chain: TestPKI.server.certificatePEM)
        let withRoot = try handshakeBytes(chain: TestPKI.server.certificatePEM + TestPKI.authority.certificatePEM)
        XCTAssertLessThan(abs(withRoot - leafOnly), 16, "only the ECDSA signature's length may differ")
        // And neither carries the root: the server's whole flight is smaller than the two
        // certificates plus 100 bytes (its other messages alone take about 400).
        func derSize(_ pem: String) -> Int {
            Data(base64Encoded: pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined())?.count ?? 0
        }
        XCTAssertLessThan(withRoot, derSize(TestPKI.server.certificatePEM) + derSize(TestPKI.authority.certificatePEM) + 100)
    }

    func testWritesBeforeHandshakeAreSentAfterIt() throws {
        let pair = try TLSPair(client: TestPKI.clientConfiguration(), server: TestPKI.serverConfiguration())
        defer { pair.finish() }
        try pair.server.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try pair.client.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let promise = pair.loop.makePromise(of: Void.self)
        pair.client.writeAndFlush(ByteBuffer(string: "early"), promise: promise)
        try pair.interact()
        XCTAssertEqual(pair.serverRecorder.text, "early")
        XCTAssertNoThrow(try promise.futureResult.wait())
    }

    func testClientCloseSendsCloseNotifyAfterPendingData() throws {
        let pair = try TLSPair(client: TestPKI.clientConfiguration(), server: TestPKI.serverConfiguration())
        defer { pair.finish() }
        try pair.connect()
        pair.client.write(ByteBuffer(string: "last words"), promise: nil)
        let closed = pair.client.close()
        try pair.interact()
        XCTAssertEqual(pair.serverRecorder.receivedBeforeCloseNotify, "last words", "plaintext is delivered before close_notify")
        XCTAssertTrue(pair.serverRecorder.events.contains { $0 is TLSCloseNotifyReceived })
        XCTAssertTrue(pair.clientRecorder.events.contains { $0 is TLSCloseNotifyReceived }, "the server answered with its own close_notify")
        XCTAssertFalse(pair.server.isActive)
        XCTAssertFalse(pair.client.isActive)
        XCTAssertNoThrow(try closed.wait())
        XCTAssertTrue(pair.serverRecorder.tlsErrors.isEmpty, "a clean close is not an error: \(pair.serverRecorder.tlsErrors)")
    }

    func testServerCloseSendsCloseNotify() throws {
        let pair = try TLSPair(client: TestPKI.clientConfiguration(), server: TestPKI.serverConfiguration())
        defer { pair.finish() }
        try pair.connect()
        pair.server.writeAndFlush(ByteBuffer(string: "goodbye"), promise: nil)
        pair.server.close(promise: nil)
        try pair.interact()
        XCTAssertEqual(pair.clientRecorder.receivedBeforeCloseNotify, "goodbye")
        XCTAssertFalse(pair.client.isActive)
        XCTAssertFalse(pair.server.isActive)
    }

    func testCloseWaitsForCloseNotifyOnlyUntilTimeout() throws {
        let pair = try TLSPair(client: TestPKI.clientConfiguration(), server: TestPKI.serverConfiguration())
        defer { pair.finish() }
        try pair.connect()
        pair.client.close(promise: nil)
        // The server never answers (its bytes are not delivered).
        _ = try pair.client.readOutbound(as: ByteBuffer.self)
        XCTAssertTrue(pair.client.isActive, "waiting for the peer's close_notify")
        pair.loop.advanceTime(by: .seconds(6))
        XCTAssertFalse(pair.client.isActive, "closed after the shutdown timeout")
    }

    func testCloseCompletesWhenPeerDropsInsteadOfAnswering() throws {
        let pair = try TLSPair(client: TestPKI.clientConfiguration(), server: TestPKI.serverConfiguration())
        defer { pair.finish() }
        try pair.connect()
        let completed = NIOLockedValueBox(false)
        let promise = pair.loop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { _ in completed.withLockedValue { $0 = true } }
        pair.client.close(promise: promise)
        XCTAssertFalse(completed.withLockedValue { $0 }, "waiting for the peer's close_notify")
        pair.client.pipeline.fireChannelInactive()  // the peer reset the TCP connection
        XCTAssertTrue(completed.withLockedValue { $0 }, "the close promise completes when the transport goes away")
    }

    func testGarbageInsteadOfClientHelloFailsHandshake() throws {
        let pair = try TLSPair(client: TestPKI.clientConfiguration(), server: TestPKI.serverConfiguration())
        defer { pair.finish() }
        try pair.server.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try pair.server.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        XCTAssertEqual(pair.serverRecorder.tlsErrors.first?.kind, .handshakeFailed)
        XCTAssertFalse(pair.server.isActive)
        XCTAssertNil(pair.serverRecorder.handshake)
    }

    func testEOFDuringHandshakeIsAHandshakeFailure() throws {
        let pair = try TLSPair(client: TestPKI.clientConfiguration(), server: TestPKI.serverConfiguration())
        defer { pair.finish() }
        try pair.server.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        pair.server.pipeline.fireChannelInactive()
        XCTAssertEqual(pair.serverRecorder.tlsErrors.first?.kind, .eofDuringHandshake)
    }

    func testHandshakeTimesOut() throws {
        let pair = try TLSPair(client: TestPKI.clientConfiguration(), server: TestPKI.serverConfiguration())
        defer { pair.finish() }
        try pair.server.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        pair.loop.advanceTime(by: .seconds(9))
        XCTAssertTrue(pair.server.isActive)
        pair.loop.advanceTime(by: .seconds(2))
        XCTAssertEqual(pair.serverRecorder.tlsErrors.first?.kind, .handshakeTimeout)
        XCTAssertFalse(pair.server.isActive)
    }

    func testServerRefusesTLS11() throws {
        // A TLS 1.1-only ClientHello can't be made with our policy, so check the context's floor directly.
        let context = try TLSContext(role: .server, configuration: TestPKI.serverConfiguration())
        XCTAssertEqual(SSLContextInspector.minimumVersion(context), 0x0303)
    }

    func testMismatchedKeyIsAConfigurationError() {
        let configuration = TLSConfiguration.server(
            certificateChainPEM: TestPKI.server.certificatePEM, privateKeyPEM: TestPKI.client.privateKeyPEM)
        XCTAssertThrowsError(try TLSContext(role: .server, configuration: configuration)) { error in
            XCTAssertEqual((error as? TLSError)?.kind, .invalidCertificate)
        }
    }
}
