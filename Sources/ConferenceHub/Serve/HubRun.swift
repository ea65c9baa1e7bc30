// HubRun: `serve` once its settings are read — opens the data directory and the store, binds the
// public and internal listeners, then runs the hub's services under a ServiceGroup (HubServices:
// the drain on SIGTERM, the background work, the listeners) and closes the store last.
import ArgumentParser
import CaseCore
import Foundation
import Logging
import Messaging
import NIOCore
import NIOPosix
import NIOConcurrencyHelpers
import ServiceLifecycle
import UnixSignals

struct HubRun {
    let settings: ServeSettings
    let portFile: String?
    let internalPortFile: String?
    let echo: Bool
    let parentPid: Int32?
    /// Make a demonstration conference: only in a new data directory.
    var demo = false

    func run() async throws {
        HubLogging.bootstrap(level: settings.logLevel, format: settings.logFormat)
        let logger = Logger(label: "conferencehub")
        try checkProcess(logger)
        // Settings first, so that a mistake in them changes nothing on disk.
        let policy = try HubSettings.deadlinePolicy(
            calendar: settings.string("deadlines.calendar"), timeLimits: settings.string("deadlines.time-limits"),
            timeZone: settings.string("deadlines.time-zone")!)
        let directory = DataDirectory(settings.dataDir)
        if demo, directory.isInitialized {
            throw CommandFailure("--demo makes a demonstration conference in a new data directory only: \(directory.root) holds a conference "
                + "already, and nothing was changed. Give another --data-dir, or move this one aside.")
        }
        // One hub per data directory, taken before anything is created or opened.
        let lock = try ServeLock.acquire(directory)
        let firstRun = directory.isInitialized ? nil : try await directory.initialize(demo: demo, policy: policy)

        let hubConfiguration = self.hubConfiguration()
        let export = settings.bool("internal.metrics") ? MetricsExport() : nil
        let metrics = export.map { HubMetrics(factory: $0.factory) } ?? .none
        let group = MultiThreadedEventLoopGroup(numberOfThreads: settings.int("threads"))
        let rooms = RoomHub(group: group, pacing: hubConfiguration.fanoutPacing, metrics: metrics)
        let store = try openStore(directory, policy: policy, rooms: rooms, logger: logger)

        let certificate = try directory.serverCertificateDetails()
        CertificateExpiry.log(certificate, logger: logger)
        metrics.certificateExpires("server", at: certificate.notAfter)
        metrics.certificateExpires("ca", at: try CertificateDetails(pem: directory.read(directory.caCertificate)).notAfter)
        let probes = ProbeRegistry()
        let configuration = try serverConfiguration(directory, certificate: certificate, metrics: metrics, probes: probes)
        let hub = Hub(store: store, rooms: rooms, configuration: hubConfiguration, logger: logger, metrics: metrics)
        let server = try await HubServer.start(
            configuration: configuration, group: group, logger: logger, application: echo ? .echo : .hub(hub), certificate: certificate)
        let internalListener = try await startInternalListener(
            export: export, metrics: metrics, rooms: rooms, server: server, hub: hub, group: group, logger: logger)
        let reason = StopReason()
        let announce: @Sendable () throws -> Void = { [self] in
            try self.announce(firstRun: firstRun, directory: directory, host: configuration.host, port: server.port, internalPort: internalListener.port)
        }
        let terms = await UnixSignalsSequence(trapping: .sigterm)
        let groupBox = NIOLockedValueBox<ServiceGroup?>(nil)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: BackgroundService("internal listener") { await internalListener.close() }),
            .init(service: BackgroundService("public listener") { await server.shutdown() }),
            .init(service: BackgroundService("certificate expiry", start: {
                // The certificate in use warns once a day as it nears its expiry (a renewed one is
                // used from the next start).
                try? await cancelWhenGracefulShutdown {
                    while true {
                        try await Task.sleep(for: .seconds(86_400))
                        CertificateExpiry.log(certificate, logger: logger)
                    }
                }
            }, stop: {})),
            .init(service: BackgroundService("hub", start: {
                hub.startRevocationWatch(on: group.next())
                hub.startDeadlineSweep(on: group.next())
                hub.storage.start(on: group.next(), store: store)
                // Readiness means reachable: the hub connects to its own listener as a client would.
                await hub.listener.start(address: server.localAddress, group: group, registry: probes)
                do { try announce() } catch { logger.error("could not write a port file", metadata: ["error": "\(error)"]) }
            }, stop: {
                hub.stopRevocationWatch()
                hub.stopDeadlineSweep()
                hub.storage.stop()
                hub.listener.stop()
            })),
            .init(service: DrainService(
                seconds: settings.int("shutdown.drain-seconds"), logger: logger, reason: reason, terms: terms,
                shutdownGroup: { await groupBox.withLockedValue { $0 }?.triggerGracefulShutdown() }, startDraining: { hub.startDraining() })),
        ]
        if let parentPid {
            services.insert(.init(service: ParentWatchService(pid: parentPid, reason: reason), successTerminationBehavior: .gracefullyShutdownGroup), at: 0)
        }
        // The group's own lines (services starting and stopping) only at trace level.
        var groupLogger = logger
        groupLogger.logLevel = logger.logLevel == .trace ? .trace : max(logger.logLevel, .notice)
        let serviceGroup = ServiceGroup(configuration: .init(
            services: services, gracefulShutdownSignals: [.sigterm], cancellationSignals: [.sigint], logger: groupLogger))
        groupBox.withLockedValue { $0 = serviceGroup }
        do {
            try await serviceGroup.run()
        } catch {
            logger.error("a service of the hub failed", metadata: ["error": "\(error)"])
        }
        // The store's last writes (presence of the closed connections) are delivered on the event
        // loops, so it closes before they do.
        store.close()
        try await group.shutdownGracefully()
        logger.info("stopped")
        withExtendedLifetime(lock) {}
    }

    /// The first-run message, the port files, then the listening line (the port files are
    /// written first, so that a script that read the line finds them).
    private func announce(firstRun: DataDirectory.Created?, directory: DataDirectory, host: String, port: Int, internalPort: Int) throws {
        if var firstRun {
            // With JSON logs the announcement is a log line: the demonstration's one-time
            // passwords go to a file only its owner reads, and the line says where.
            var note = ""
            if settings.logFormat == .json, !firstRun.demo.isEmpty {
                let file = (directory.root as NSString).appendingPathComponent("demo-sign-ins.txt")
                try SecureFile.create(file, contents: FirstRunMessage.demoText(firstRun.demo, host: host, port: port) + "\n", mode: 0o600)
                note = "\n\nA demonstration conference: its people's one-time passwords are in \(file) (mode 0600)."
                firstRun.demo = []
            }
            Console.announce(FirstRunMessage.text(directory: directory, created: firstRun, host: host, port: port) + note, format: settings.logFormat)
        }
        if let portFile { try "\(port)\n".write(toFile: portFile, atomically: true, encoding: .utf8) }
        if let internalPortFile { try "\(internalPort)\n".write(toFile: internalPortFile, atomically: true, encoding: .utf8) }
        Console.announce(
            "conference-hub \(HubProtocol.serverVersion) listening on wss://\(host):\(port)/v1/ws\(echo ? " (echo mode)" : "")"
                + " (metrics and health on http://\(settings.string("internal.host")!):\(internalPort))", format: settings.logFormat)
    }

    /// The internal listener: health, readiness, and the metrics (their gauges read at each scrape).
    private func startInternalListener(
        export: MetricsExport?, metrics: HubMetrics, rooms: RoomHub, server: WebSocketServer, hub: Hub, group: EventLoopGroup, logger: Logger
    ) async throws -> InternalListener {
        let exposition = export.map { export in
            { @Sendable in
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
        return try await InternalListener.start(
            host: settings.string("internal.host")!, port: settings.int("internal.port"), group: group, endpoints: endpoints, logger: logger)
    }
}
