// HubTestServer: a hub on a free loopback port with the test PKI, and clients for it.
import CaseCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import XCTest

@testable import ConferenceHub
@testable import Messaging

/// The people of the test conference: id, unit, roles.
enum TestPeople {
    static let office = UnitID("conference-office"), housing = UnitID("housing"), finance = UnitID("finance"), district = UnitID("district")
    static let all: [(PersonID, UnitID, Set<Role>)] = [
        (PersonID("coord"), office, [.coordinator]),
        (PersonID("h-officer"), housing, [.officer]),
        (PersonID("h-leader"), housing, [.leader]),
        (PersonID("f-officer"), finance, [.officer]),
        (PersonID("d-officer"), district, [.officer]),
        (PersonID("d-leader"), district, [.leader]),
        (PersonID("auditor"), office, [.auditor]),
        (PersonID("adm"), office, [.admin]),
    ]
}

/// A running hub (or bare WebSocket server) for one test.
final class HubTestServer: Sendable {
    let group: MultiThreadedEventLoopGroup
    let server: WebSocketServer
    let hub: Hub?
    let directory: String?
    /// A bearer token per person (only for the hub).
    let tokens: [PersonID: String]

    var port: Int { server.port }
    var store: CaseStore { hub!.store }

    /// The clock the hub and its store run on, and the settings, for `restarted()`.
    let clock: HubClock
    let hubConfiguration: HubConfiguration
    /// The key that signs the decision log (nil: unsigned), kept across restarts.
    let decisionLog: DecisionLogIdentity?

    private init(group: MultiThreadedEventLoopGroup, server: WebSocketServer, hub: Hub? = nil, directory: String? = nil, tokens: [PersonID: String] = [:],
                 clock: HubClock = SystemClock(), hubConfiguration: HubConfiguration = HubConfiguration(),
                 decisionLog: DecisionLogIdentity? = nil) {
        self.group = group
        self.server = server
        self.hub = hub
        self.directory = directory
        self.tokens = tokens
        self.clock = clock
        self.hubConfiguration = hubConfiguration
        self.decisionLog = decisionLog
    }

    /// Stops this hub (keeping its data) and starts a new one on the same database, as a restart
    /// of the process would; the new one listens on a new port.
    func restarted() async throws -> HubTestServer {
        guard let directory else { throw HubFailure(.internal, "only a hub restarts") }
        await server.shutdown()
        let policy = hub?.store.policy ?? DeadlinePolicy()
        hub?.store.close()
        try await group.shutdownGracefully()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        var configuration = WebSocketServerConfiguration(tls: TestPKI.serverConfiguration(mode: .optional))
        configuration.port = 0
        configuration.subprotocols = [ConferenceProtocol.subprotocol]
        let rooms = RoomHub(group: group, pacing: hubConfiguration.fanoutPacing)
        let store = try CaseStore(path: directory + "/hub.sqlite", policy: policy, clock: clock,
                                  rooming: Hub.rooming(delivering: rooms, decisionLog: decisionLog))
        let hub = Hub(store: store, rooms: rooms, configuration: hubConfiguration, clock: clock, logger: Logger(label: "test"))
        let server = try await HubServer.start(configuration: configuration, group: group, logger: Logger(label: "test"), application: .hub(hub))
        return HubTestServer(group: group, server: server, hub: hub, directory: directory, tokens: tokens, clock: clock,
                             hubConfiguration: hubConfiguration, decisionLog: decisionLog)
    }

    /// Starts the hub with the test conference's units and people (each with a token; the test
    /// client certificate belongs to `h-officer`), or the echo application.
    static func hub(
        mode: ClientCertificateMode = .optional, echo: Bool = false,
        hubConfiguration: HubConfiguration = HubConfiguration(), clock: HubClock = SystemClock(),
        units: [CaseCore.Unit]? = nil, decisionLog: DecisionLogIdentity? = nil, logger givenLogger: Logger? = nil,
        directory givenDirectory: String? = nil, metrics: HubMetrics = .none, policy: DeadlinePolicy = DeadlinePolicy(),
        configure: (inout WebSocketServerConfiguration) -> Void = { _ in }
    ) async throws -> HubTestServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        var configuration = WebSocketServerConfiguration(tls: TestPKI.serverConfiguration(mode: mode))
        configuration.port = 0
        configuration.subprotocols = [ConferenceProtocol.subprotocol]
        configuration.metrics = metrics.server
        configure(&configuration)
        let directory = givenDirectory ?? NSTemporaryDirectory() + "chub-hub-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let rooms = RoomHub(group: group, pacing: hubConfiguration.fanoutPacing, metrics: metrics)
        let store = try CaseStore(path: directory + "/hub.sqlite", policy: policy, clock: clock,
                                  rooming: Hub.rooming(delivering: rooms, decisionLog: decisionLog))
        // The conference office is found by its kind, as `init` makes it.
        let defaultUnits = [TestPeople.office, TestPeople.housing, TestPeople.finance, TestPeople.district].map {
            CaseCore.Unit(id: $0, name: $0.rawValue, kind: $0 == TestPeople.office ? .petitionBureau : .department)
        }
        for unit in units ?? defaultUnits {
            try await store.addUnit(unit)
        }
        // Named, as `init --conference` names it.
        try await store.setConferenceName("某某市信访工作联席会议")
        var tokens: [PersonID: String] = [:]
        for (person, unit, roles) in TestPeople.all {
            try await store.addPerson(Person(id: person, name: person.rawValue, unit: unit, roles: roles))
            let token = CaseStore.makeToken()
            _ = try await store.addCredential(person: person, kind: .token, digest: CaseStore.tokenDigest(token), label: "test", at: Timestamp(Date()))
            tokens[person] = token
        }
        _ = try await store.addCredential(
            person: PersonID("h-officer"), kind: .certificate,
            digest: CaseStore.certificateDigest(fingerprintHex: TestPKI.client.fingerprintSHA256)!, label: "test cert", at: Timestamp(Date()))
        var logger = givenLogger ?? Logger(label: "test")
        if ProcessInfo.processInfo.environment["CONFERENCEHUB_TEST_LOG"] == "debug" { logger.logLevel = .debug }
        let hub = Hub(store: store, rooms: rooms, configuration: hubConfiguration, clock: clock, logger: logger, metrics: metrics)
        let server = try await HubServer.start(
            configuration: configuration, group: group, logger: logger, application: echo ? .echo : .hub(hub),
            certificate: try CertificateDetails(pem: TestPKI.server.certificatePEM))
        return HubTestServer(group: group, server: server, hub: hub, directory: directory, tokens: tokens, clock: clock,
                             hubConfiguration: hubConfiguration, decisionLog: decisionLog)
    }

    /// Starts a bare server whose application handlers come from `application`.
    static func custom(
        configure: (inout WebSocketServerConfiguration) -> Void = { _ in },
        application: @escaping WebSocketApplicationFactory
    ) async throws -> HubTestServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        var configuration = WebSocketServerConfiguration(tls: TestPKI.serverConfiguration())
        configuration.port = 0
        configure(&configuration)
        let server = try await WebSocketServer.start(
            configuration: configuration, group: group, logger: Logger(label: "test"), application: application)
        return HubTestServer(group: group, server: server)
    }

    /// Stops in the hub's order: connections, then the store (its last deliveries still need the
    /// event loops), then the event loops.
    func stop() async throws {
        await server.shutdown()
        hub?.store.close()
        try await group.shutdownGracefully()
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// A connection authenticated with `person`'s token.
    func connect(as person: String, receiveBufferBytes: Int? = nil) async throws -> WebSocketClientConnection {
        let client = try await connect(receiveBufferBytes: receiveBufferBytes)
        let reply = try await client.request(["id": "auth", "type": "auth", "token": tokens[PersonID(person)]!])
        guard reply["type"] as? String == "ok" else { throw HubFailure(.unauthorized, "auth failed: \(reply)") }
        return client
    }

    func connect(
        identity: CertificateIdentity? = nil, trusting root: CertificateIdentity = TestPKI.authority,
        subprotocols: [String] = [ConferenceProtocol.subprotocol], receiveBufferBytes: Int? = nil, origin: String? = nil
    ) async throws -> WebSocketClientConnection {
        var configuration = WebSocketClientConfiguration(
            host: "127.0.0.1", port: port,
            tls: TestPKI.clientConfiguration(trusting: root, hostname: "127.0.0.1", identity: identity))
        configuration.subprotocols = subprotocols
        configuration.origin = origin
        configuration.socketReceiveBufferBytes = receiveBufferBytes
        return try await WebSocketClient.connect(configuration: configuration, group: group)
    }

    /// One HTTPS request over our TLS client; returns status and body.
    func httpsGet(_ path: String) async throws -> (status: HTTPResponseStatus, body: String) {
        try await httpGet(path, port: port, group: group, tls: true)
    }
}

/// One GET on 127.0.0.1:`port`, over TLS (trusting the test CA) or plain HTTP (the internal listener).
/// `trustRootsPEM`: the CA to trust over TLS instead of the test CA (a hub's own data directory).
func httpGet(_ path: String, port: Int, group: EventLoopGroup, tls: Bool = false, trustRootsPEM: String? = nil,
             headers extra: [(String, String)] = []) async throws -> (status: HTTPResponseStatus, body: String) {
    let response = try await httpRequest(.GET, path, port: port, group: group, tls: tls, trustRootsPEM: trustRootsPEM, headers: extra)
    return (response.status, String(decoding: response.body, as: UTF8.self))
}

/// One HTTP request on 127.0.0.1:`port`; over TLS it trusts the test CA (or `trustRootsPEM`)
/// and presents `identity`'s client certificate when given.
func httpRequest(
    _ method: HTTPMethod, _ path: String, port: Int, group: EventLoopGroup, tls: Bool = true, trustRootsPEM: String? = nil,
    identity: CertificateIdentity? = nil, headers extra: [(String, String)] = [], body: [UInt8] = []
) async throws -> (status: HTTPResponseStatus, headers: HTTPHeaders, body: [UInt8]) {
    let result = group.any().makePromise(of: (HTTPResponseHead, [UInt8]).self)
    let tlsConfiguration = trustRootsPEM.map { TLSConfiguration.client(trustRootsPEM: $0, serverHostname: "127.0.0.1") }
        ?? TestPKI.clientConfiguration(hostname: "127.0.0.1", identity: identity)
    let context = tls ? try TLSContext(role: .client, configuration: tlsConfiguration) : nil
    let channel = try await ClientBootstrap(group: group).channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            if let context { try channel.pipeline.syncOperations.addHandler(TLSHandler(context: context)) }
            try channel.pipeline.syncOperations.addHTTPClientHandlers()
            try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: result))
        }
    }.connect(host: "127.0.0.1", port: port).get()
    var headers = HTTPHeaders([("Host", "localhost")])
    if !body.isEmpty || method == .POST { headers.add(name: "Content-Length", value: "\(body.count)") }
    for (name, value) in extra { headers.replaceOrAdd(name: name, value: value) }
    let head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
    channel.write(HTTPClientRequestPart.head(head), promise: nil)
    if !body.isEmpty { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil) }
    try await channel.writeAndFlush(HTTPClientRequestPart.end(nil)).get()
    let (responseHead, responseBody) = try await result.futureResult.get()
    try? await channel.close().get()
    return (responseHead.status, responseHead.headers, responseBody)
}

private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    let promise: EventLoopPromise<(HTTPResponseHead, [UInt8])>
    var head = HTTPResponseHead(version: .http1_1, status: .imATeapot)
    var body: [UInt8] = []

    init(promise: EventLoopPromise<(HTTPResponseHead, [UInt8])>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body(let buffer): body += buffer.readableBytesView
        case .end: promise.succeed((head, body))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) { promise.fail(error) }
    func channelInactive(context: ChannelHandlerContext) { promise.fail(ChannelError.eof) }
}

extension WebSocketClientConnection {
    /// The next message, as a JSON object.
    func nextJSON(file: StaticString = #filePath, line: UInt = #line) async throws -> [String: Any] {
        var iterator = inbound.makeAsyncIterator()
        let next = await iterator.next()
        let message = try XCTUnwrap(next, "connection ended", file: file, line: line)
        let object = try JSONSerialization.jsonObject(with: Data(message.data.readableBytesView))
        return try XCTUnwrap(object as? [String: Any], file: file, line: line)
    }

    /// Sends a request object and returns the reply.
    func request(_ object: [String: Any]) async throws -> [String: Any] {
        let data = try JSONSerialization.data(withJSONObject: object)
        try await send(text: String(decoding: data, as: UTF8.self))
        return try await nextJSON()
    }
}
