// HubRun+Setup: the steps of `serve` before its services run — the process's own checks, the
// protocol's limits and the listener's configuration from the settings, and the store (with its
// schema upgrade said aloud and its slow commits logged).
import ArgumentParser
import CaseCore
import Foundation
import Logging
import Messaging
import NIOCore

extension HubRun {
    /// The parent to watch is this process's parent; the open-file limit is raised to its hard limit.
    func checkProcess(_ logger: Logger) throws {
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
    }

    /// The conference protocol's limits and timers from the settings.
    func hubConfiguration() -> HubConfiguration {
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
        return hubConfiguration
    }

    /// Opens the store. A schema upgrade may rewrite a table (version 7 copies every room event):
    /// it is said first, and how long it took after.
    func openStore(_ directory: DataDirectory, policy: DeadlinePolicy, rooms: RoomHub, logger: Logger) throws -> CaseStore {
        let upgrade = directory.pendingSchemaUpgrade()
        if let upgrade {
            logger.notice("upgrading the database schema; this may take a while on a large database",
                          metadata: ["from": "\(upgrade.from)", "to": "\(upgrade.to)"])
        }
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
            store.setSlowCommitObserver(threshold: .milliseconds(slowCommitMs)) { slow in
                logger.warning("slow commit", metadata: [
                    "duration_ms": "\(SlowCommitFormat.milliseconds(slow.duration))",
                    "commit_ms": "\(SlowCommitFormat.milliseconds(slow.commitDuration))", "writes": "\(slow.writes)",
                ])
            }
        }
        return store
    }

    /// The public listener's configuration: TLS, limits, and the browsers' origins (those of the
    /// certificate's names on the hub's port, and the configured ones).
    func serverConfiguration(
        _ directory: DataDirectory, certificate: CertificateDetails, metrics: HubMetrics, probes: ProbeRegistry
    ) throws -> WebSocketServerConfiguration {
        var configuration = WebSocketServerConfiguration(tls: try directory.serverTLS(clientCertificateMode: settings.clientCert))
        configuration.host = settings.string("listen.host")!
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
        configuration.probes = probes
        configuration.originPolicy = OriginPolicy(
            ownHosts: certificate.dnsNames + certificate.ipAddresses, additionalOrigins: settings.additionalOrigins)
        return configuration
    }
}
