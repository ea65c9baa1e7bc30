// HubRun: `serve` once its settings are read — opens the data directory and the store, starts
// the public and internal listeners, and on a stop signal drains and shuts down in order.
import ArgumentParser
import CaseCore
import Foundation
import Logging
import Messaging
import NIOCore
import NIOPosix

struct HubRun {
    let settings: ServeSettings
    let portFile: String?
    let internalPortFile: String?
    let echo: Bool
    let parentPid: Int32?

    func run() async throws {
        let settings = self.settings
        HubLogging.bootstrap(level: settings.logLevel, format: settings.logFormat)
        let logger = Logger(label: "conferencehub")
        if let parentPid, getppid() != parentPid {
            throw ValidationError("--parent-pid: process \(parentPid) is not this hub's parent (it may have ended already)")
        }
        if let files = OpenFileLimit.raise() {
            if files.after < OpenFileLimit.lowWatermark {
                logger.warning("the open-file limit caps the connections this hub can hold; raise the hard limit (systemd: LimitNOFILE=)",
                               metadata: ["limit": "\(files.after)"])
            } else if files.after > files.before {
                logger.info("open-file limit raised to the hard limit", metadata: ["from": "\(files.before)", "to": "\(files.after)"])
            }
        }
        // Settings first, so that a mistake in them changes nothing on disk.
        let policy = try HubSettings.deadlinePolicy(
            calendar: settings.string("deadlines.calendar"), timeLimits: settings.string("deadlines.time-limits"),
            timeZone: settings.string("deadlines.time-zone")!)
        let directory = DataDirectory(settings.dataDir)
        // One hub per data directory, taken before anything is created or opened.
        let lock = try ServeLock.acquire(directory)
        var firstRun: DataDirectory.Created?
        if !directory.isInitialized {
            firstRun = try await directory.initialize()
        }

        // A schema upgrade may rewrite a table (version 7 copies every room event): say so first.
        let upgrade = directory.pendingSchemaUpgrade()
        if let upgrade {
            logger.notice("upgrading the database schema; this may take a while on a large database",
                          metadata: ["from": "\(upgrade.from)", "to": "\(upgrade.to)"])
        }
        var hubConfiguration = HubConfiguration()
        let rateLimit = settings.int("limits.rate-limit")
        hubConfiguration.requestsPerSecond = Double(rateLimit)
        hubConfiguration.requestBurst = Double(rateLimit * 2)
        hubConfiguration.maxRoomsPerConnection = settings.int("limits.max-rooms")
        hubConfiguration.maxConnectionsPerPerson = settings.int("limits.max-connections-per-person")
        hubConfiguration.maxTextLength = settings.int("limits.max-text-length")
        hubConfiguration.authenticationTimeout = .seconds(Int64(settings.int("limits.auth-timeout-seconds")))
        hubConfiguration.deadlineSweepInterval = .seconds(Int64(settings.int("deadlines.sweep-seconds")))
        hubConfiguration.sessionLifetime = .seconds(Int64(settings.int("web.session-minutes") * 60))
        hubConfiguration.fanoutPacing = FanoutPacing(
            interval: .milliseconds(Int64(settings.int("fanout.interval-ms"))), perMember: .microseconds(Int64(settings.int("fanout.pace-us"))))

        let export = settings.bool("internal.metrics") ? MetricsExport() : nil
        let metrics = export.map { HubMetrics(factory: $0.factory) } ?? .none
        let group = MultiThreadedEventLoopGroup(numberOfThreads: settings.int("threads"))
        let rooms = RoomHub(group: group, pacing: hubConfiguration.fanoutPacing, metrics: metrics)
        let opened = ContinuousClock.now
        let store = try CaseStore(
            path: directory.database, policy: policy,
            rooming: Hub.rooming(delivering: rooms, decisionLog: try directory.decisionLogIdentity()))
        if upgrade != nil {
            logger.notice("database schema upgraded", metadata: ["seconds": "\(String(format: "%.1f", (ContinuousClock.now - opened) / .seconds(1)))"])
        }
        let slowCommitMs = settings.int("store.slow-commit-ms")
        if slowCommitMs > 0 {
            // Every write waits for its transaction: a slow one is usually storage stalling on fsync.
            let storeLogger = logger
            store.setSlowCommitObserver(threshold: .milliseconds(slowCommitMs)) { slow in
                storeLogger.warning("slow commit", metadata: [
                    "duration_ms": "\(SlowCommitFormat.milliseconds(slow.duration))",
                    "commit_ms": "\(SlowCommitFormat.milliseconds(slow.commitDuration))", "writes": "\(slow.writes)",
                ])
            }
        }

        var configuration = WebSocketServerConfiguration(tls: try directory.serverTLS(clientCertificateMode: settings.clientCert))
        let certificate = try directory.serverCertificateDetails()
        CertificateExpiry.log(certificate, logger: logger)
        metrics.certificateExpires("server", at: certificate.notAfter)
        metrics.certificateExpires("ca", at: try CertificateDetails(pem: directory.read(directory.caCertificate)).notAfter)
        let host = settings.string("listen.host")!
        configuration.host = host
        configuration.port = settings.int("listen.port")
        configuration.tls.handshakeTimeout = .seconds(Int64(settings.int("tls.handshake-timeout-seconds")))
        configuration.requestTimeout = .seconds(Int64(settings.int("http.request-timeout-seconds")))
        configuration.maxPendingConnectionsPerAddress = settings.int("limits.max-pending-per-address")
        configuration.webSocket.maxMessageSize = settings.int("websocket.max-message-bytes")
        configuration.webSocket.maxOutboundBytes = settings.int("websocket.max-outbound-bytes")
        configuration.webSocket.pingInterval = .seconds(Int64(settings.int("websocket.ping-interval-seconds")))
        configuration.webSocket.pongTimeout = .seconds(Int64(settings.int("websocket.pong-timeout-seconds")))
        configuration.subprotocols = [ConferenceProtocol.subprotocol]
        configuration.metrics = metrics.server
        // Browsers: the hub's own origins are those of its certificate's names on its port.
        let probes = ProbeRegistry()
        configuration.probes = probes
        configuration.originPolicy = OriginPolicy(
            ownHosts: certificate.dnsNames + certificate.ipAddresses, additionalOrigins: settings.additionalOrigins)

        let signals = TerminationSignals()
        let parentWatch = parentPid.map { pid in
            ParentWatch(pid) { signals.stop(because: "its parent process \(pid) ended") }
        }
        let hub = Hub(store: store, rooms: rooms, configuration: hubConfiguration, logger: logger, metrics: metrics)
        let server = try await HubServer.start(
            configuration: configuration, group: group, logger: logger, application: echo ? .echo : .hub(hub), certificate: certificate)
        var exposition: (@Sendable () -> String)?
        if let export {
            exposition = {
                export.render {
                    metrics.rooms.set(rooms.liveRoomCount)
                    metrics.connectionsOpen.set(server.connectionCount)
                    metrics.ready.set(hub.readiness.isReady ? 1 : 0)
                    if let heap = HeapUsage.inUseBytes() { metrics.heapInUse.set(heap) }
                }
            }
        }
        let endpoints = InternalEndpoints(
            metrics: exposition, readiness: { hub.readiness }, metricsToken: settings.string("internal.metrics-token"))
        let internalListener = try await InternalListener.start(
            host: settings.string("internal.host")!, port: settings.int("internal.port"), group: group, endpoints: endpoints, logger: logger)
        // The certificate in use warns once a day as it nears its expiry (a renewed one is used
        // from the next start).
        let certificateCheck = group.next().scheduleRepeatedTask(initialDelay: .hours(24), delay: .hours(24)) { _ in
            CertificateExpiry.log(certificate, logger: logger)
        }
        hub.startRevocationWatch(on: group.next())
        hub.startDeadlineSweep(on: group.next())
        hub.storage.start(on: group.next(), store: store)
        // Readiness means reachable: the hub connects to its own listener as a client would.
        await hub.listener.start(address: server.localAddress, group: group, registry: probes)
        if let firstRun {
            Console.announce(FirstRunMessage.text(directory: directory, created: firstRun, host: host, port: server.port), format: settings.logFormat)
        }
        // The port files are written before the listening line, so that a script that read the
        // line finds them.
        if let portFile {
            try "\(server.port)\n".write(toFile: portFile, atomically: true, encoding: .utf8)
        }
        if let internalPortFile {
            try "\(internalListener.port)\n".write(toFile: internalPortFile, atomically: true, encoding: .utf8)
        }
        Console.announce("conference-hub \(HubProtocol.serverVersion) listening on wss://\(host):\(server.port)/v1/ws\(echo ? " (echo mode)" : "")"
            + " (metrics and health on http://\(settings.string("internal.host")!):\(internalListener.port))", format: settings.logFormat)
        let reason = await signals.wait()
        parentWatch?.cancel()
        certificateCheck.cancel()
        // Readiness fails first, so that a load balancer stops sending new connections while
        // those already here are still served.
        hub.startDraining()
        let drain = settings.int("shutdown.drain-seconds")
        if reason == "SIGTERM", drain > 0 {
            logger.info("draining: readiness fails; still serving (a second SIGTERM or SIGINT stops at once)",
                        metadata: ["reason": "\(reason)", "seconds": "\(drain)"])
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await Task.sleep(for: .seconds(drain)) }
                group.addTask { await signals.waitForAnother() }
                await group.next()
                group.cancelAll()
            }
        }
        logger.info("stopping", metadata: ["reason": "\(reason)"])
        hub.stopRevocationWatch()
        hub.stopDeadlineSweep()
        hub.storage.stop()
        hub.listener.stop()
        await server.shutdown()
        await internalListener.close()
        // The store's last writes (presence of the closed connections) are delivered on the event
        // loops, so it closes before they do.
        store.close()
        try await group.shutdownGracefully()
        logger.info("stopped")
        withExtendedLifetime(lock) {}
    }
}
