// SignInService: a person in a browser signs in — with a password or with the client certificate
// the browser presented — and receives a session: a bearer credential that expires, stored only as
// a hash, which the page sends in its WebSocket's first frame (`auth`). Failed attempts are
// throttled per person and per address (SignInThrottle); every sign-in and failure is logged,
// never with the password or the session. scrypt runs on a queue of its own, one hash at a time
// (some 60 ms and 32 MiB each), so that hashing never holds an event loop or the cooperative
// threads, and at most `maxWaitingHashes` wait for it.
import CaseCore
import Foundation
import Logging
import Messaging
import NIOConcurrencyHelpers

/// A session issued at sign-in (its token is shown to the browser once).
struct IssuedSession: Sendable {
    let token: String
    let credentialID: Int64
    let expiresAt: Timestamp
    let person: Person
    /// The conference's time zone (IANA name), in which pages show dates and times.
    let timeZone: String
}

/// What became of a sign-in.
enum SignInOutcome: Sendable {
    case signedIn(IssuedSession)
    /// Wrong person or password (which one is not said), or an unknown certificate.
    case refused(String)
    case throttled(retryAfterSeconds: Int)
    /// The password was right but is a one-time password: send it again with a new one.
    case passwordChangeRequired
    case weakPassword(PasswordRules.Problem)
    /// Too many sign-ins are being hashed at once.
    case busy
    case storageUnavailable
}

final class SignInService: Sendable {
    /// How long a session lasts. Default 8 hours (a working day).
    static let defaultSessionLifetime: Duration = .seconds(8 * 3600)
    static let maxWaitingHashes = 32

    private let store: CaseStore
    private let clock: HubClock
    private let sessionLifetime: Duration
    private let parameters: ScryptParameters
    private let metrics: HubMetrics
    private let logger: Logger
    private let throttle: NIOLockedValueBox<SignInThrottle>
    private let hashing = DispatchQueue(label: "conference-hub.scrypt")
    private let waitingHashes = NIOLockedValueBox(0)

    init(store: CaseStore, clock: HubClock = SystemClock(), sessionLifetime: Duration = SignInService.defaultSessionLifetime,
         parameters: ScryptParameters = .standard, throttle: SignInThrottle.Policy = .init(), metrics: HubMetrics = .none, logger: Logger) {
        self.store = store
        self.clock = clock
        self.sessionLifetime = sessionLifetime
        self.parameters = parameters
        self.metrics = metrics
        self.logger = logger
        self.throttle = NIOLockedValueBox(SignInThrottle(policy: throttle))
    }

    /// Signs `personID` in with `password`; with `newPassword`, also changes it (required when
    /// the password is a one-time password).
    func signIn(person personID: String, password: String, newPassword: String?, address: String) async -> SignInOutcome {
        let now = clock.now()
        if case .locked(let seconds) = throttle.withLockedValue({ $0.decision(person: personID, address: address, at: now) }) {
            log("sign-in refused: throttled", person: personID, address: address, level: .notice)
            metrics.authenticated(by: .password, success: false)
            return .throttled(retryAfterSeconds: seconds)
        }
        do {
            let person = try await store.person(PersonID(personID))
            let stored = person == nil ? nil : try await store.password(of: PersonID(personID))
            guard let matches = await verify(password, against: stored?.hash) else { return .busy }
            guard let person, let stored, matches else {
                throttle.withLockedValue { $0.failed(person: personID, address: address, at: now) }
                log("sign-in failed", person: personID, address: address, level: .notice,
                    reason: person == nil ? "unknown person" : stored == nil ? "no password set" : "wrong password")
                metrics.authenticated(by: .password, success: false)
                return .refused("wrong person or password")
            }
            throttle.withLockedValue { $0.succeeded(person: personID) }
            if let newPassword {
                if let problem = PasswordRules.problem(with: newPassword, person: personID, previous: password) {
                    return .weakPassword(problem)
                }
                guard let hash = await hash(newPassword) else { return .busy }
                try await store.setPassword(person: person.id, hash: hash, mustChange: false, at: now)
                log("password changed", person: personID, address: address, level: .notice)
            } else if stored.mustChange {
                log("sign-in needs a new password", person: personID, address: address, level: .info)
                return .passwordChangeRequired
            }
            metrics.authenticated(by: .password, success: true)
            return try await issue(for: person, method: "password", address: address, now: now)
        } catch let error as SQLiteError where error.isStorageUnavailable {
            return .storageUnavailable
        } catch {
            logger.error("sign-in could not complete", metadata: ["error": "\(error)"])
            return .storageUnavailable
        }
    }

    /// Signs in the person whose client certificate the browser presented.
    func signIn(certificate: PeerCertificate?, address: String) async -> SignInOutcome {
        guard let fingerprint = certificate?.fingerprintSHA256, let digest = CaseStore.certificateDigest(fingerprintHex: fingerprint) else {
            return .refused("no client certificate was presented")
        }
        do {
            guard let identity = try await store.identity(forDigest: digest, kind: .certificate) else {
                log("sign-in failed", person: "-", address: address, level: .notice, reason: "unknown or revoked certificate")
                metrics.authenticated(by: .certificate, success: false)
                return .refused("this certificate is not registered, or it was revoked")
            }
            metrics.authenticated(by: .certificate, success: true)
            return try await issue(for: identity.person, method: "certificate", address: address, now: clock.now())
        } catch {
            return .storageUnavailable
        }
    }

    /// Ends the session whose token is `token`; returns whether there was one.
    func signOut(token: String) async throws -> Bool {
        guard let identity = try await store.identity(forDigest: CaseStore.tokenDigest(token), kinds: [.session]) else { return false }
        let ended = try await store.revokeCredential(id: identity.credentialID, at: clock.now())
        if ended { log("signed out", person: identity.person.id.rawValue, address: "-", level: .info) }
        return ended
    }

    private func issue(for person: Person, method: String, address: String, now: Timestamp) async throws -> SignInOutcome {
        let token = Self.makeSessionToken()
        let expiresAt = Timestamp(milliseconds: now.milliseconds + Int64(sessionLifetime.components.seconds * 1000))
        let id = try await store.addCredential(
            person: person.id, kind: .session, digest: CaseStore.tokenDigest(token),
            label: "browser session (\(method), from \(address))", at: now, expiresAt: expiresAt)
        logger.notice("signed in", metadata: [
            "person": "\(person.id)", "unit": "\(person.unit)", "method": "\(method)", "address": "\(address)", "credential": "\(id)",
        ])
        return .signedIn(IssuedSession(
            token: token, credentialID: id, expiresAt: expiresAt, person: person, timeZone: store.policy.timeZone.timeZone.identifier))
    }

    /// `chs_` and 32 random bytes in base64url (a session, told apart from tokens at a glance).
    static func makeSessionToken() -> String {
        "chs_" + CaseStore.makeToken().dropFirst("chub_".count)
    }

    /// Whether `password` matches `hash`. Without a hash (an unknown person) the password is
    /// hashed all the same, so that the answer takes as long and says nothing of who exists.
    private func verify(_ password: String, against hash: PasswordHash?) async -> Bool? {
        let parameters = parameters
        return await onHashingQueue {
            guard let hash else {
                _ = try? PasswordHash.make(password, parameters: parameters)
                return false
            }
            return hash.verifies(password)
        }
    }

    private func hash(_ password: String) async -> PasswordHash? {
        let parameters = parameters
        return await onHashingQueue { try? PasswordHash.make(password, parameters: parameters) } ?? nil
    }

    /// Runs `work` on the hashing threads; nil when too many are waiting already.
    private func onHashingQueue<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T? {
        let admitted = waitingHashes.withLockedValue { waiting -> Bool in
            guard waiting < Self.maxWaitingHashes else { return false }
            waiting += 1
            return true
        }
        guard admitted else {
            logger.warning("sign-in refused: too many sign-ins at once")
            return nil
        }
        defer { waitingHashes.withLockedValue { $0 -= 1 } }
        return await withCheckedContinuation { continuation in
            hashing.async { continuation.resume(returning: work()) }
        }
    }

    private func log(_ message: Logger.Message, person: String, address: String, level: Logger.Level, reason: String? = nil) {
        var metadata: Logger.Metadata = ["person": "\(LogText.escaped(person, limit: 64))", "address": "\(address)"]
        if let reason { metadata["reason"] = "\(reason)" }
        logger.log(level: level, message, metadata: metadata)
    }
}
