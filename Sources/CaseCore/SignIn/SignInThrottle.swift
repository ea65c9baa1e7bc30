// SignInThrottle: failed sign-ins slow down guessing, per person and per address. A pure value:
// the caller asks before checking a password, and reports what happened after.
//
// Per person: after 5 failures within 15 minutes the person's password sign-in is locked, for 1
// minute after the 5th, then 2, 4, 8 and at most 15 minutes after each further one (the 6th
// attempt is refused unchecked, as the documentation says). Per address: 30 failures within 15
// minutes lock that address for 15 minutes (many people tried from one place). A success clears
// the person's failures (not the address's). Entries older than the window are forgotten, and at
// most `capacity` keys are kept (the oldest go first), so that a flood of names bounds memory.

/// The decision for one sign-in attempt.
public enum ThrottleDecision: Equatable, Sendable {
    case allowed
    /// Refused until this much time has passed.
    case locked(retryAfterSeconds: Int)
}

public struct SignInThrottle: Sendable {
    public struct Policy: Sendable, Equatable {
        public var window: Duration = .seconds(15 * 60)
        /// Failures of one person after which the next attempt waits.
        public var failuresPerPerson = 5
        public var maximumLock: Duration = .seconds(15 * 60)
        public var failuresPerAddress = 30
        public var capacity = 10_000

        public init() {}
    }

    private struct Entry: Sendable {
        var failures: Int
        var lastFailure: Timestamp
        var lockedUntil: Timestamp?
    }

    public let policy: Policy
    private var people: [String: Entry] = [:]
    private var addresses: [String: Entry] = [:]

    public init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// Whether `person` may try a password from `address` now.
    public func decision(person: String, address: String, at now: Timestamp) -> ThrottleDecision {
        let until = [people[person]?.lockedUntil, addresses[address]?.lockedUntil].compactMap { $0 }.filter { $0 > now }.max()
        guard let until else { return .allowed }
        return .locked(retryAfterSeconds: max(1, Int((until.milliseconds - now.milliseconds + 999) / 1000)))
    }

    /// Records a failed attempt.
    public mutating func failed(person: String, address: String, at now: Timestamp) {
        let windowMs = Int64(policy.window.components.seconds * 1000)
        var entry = current(people[person], now: now, windowMs: windowMs)
        entry.failures += 1
        entry.lastFailure = now
        let over = entry.failures - policy.failuresPerPerson
        if over >= 0 {
            let lockMs = min(Int64(60_000) << Int64(min(over, 10)), Int64(policy.maximumLock.components.seconds * 1000))
            entry.lockedUntil = Timestamp(milliseconds: now.milliseconds + lockMs)
        }
        people[person] = entry

        var place = current(addresses[address], now: now, windowMs: windowMs)
        place.failures += 1
        place.lastFailure = now
        if place.failures >= policy.failuresPerAddress {
            place.lockedUntil = Timestamp(milliseconds: now.milliseconds + Int64(policy.maximumLock.components.seconds * 1000))
        }
        addresses[address] = place
        prune(now: now, windowMs: windowMs)
    }

    /// Records a successful sign-in: the person's failures are forgotten.
    public mutating func succeeded(person: String) {
        people[person] = nil
    }

    /// Keys remembered (for tests of the bound).
    public var rememberedCount: Int { people.count + addresses.count }

    private func current(_ entry: Entry?, now: Timestamp, windowMs: Int64) -> Entry {
        guard let entry, now.milliseconds - entry.lastFailure.milliseconds < windowMs || (entry.lockedUntil ?? now) > now else {
            return Entry(failures: 0, lastFailure: now, lockedUntil: nil)
        }
        return entry
    }

    private mutating func prune(now: Timestamp, windowMs: Int64) {
        Self.prune(&people, capacity: policy.capacity, now: now, windowMs: windowMs)
        Self.prune(&addresses, capacity: policy.capacity, now: now, windowMs: windowMs)
    }

    /// Above `capacity`: drops what has lapsed, then the oldest.
    private static func prune(_ entries: inout [String: Entry], capacity: Int, now: Timestamp, windowMs: Int64) {
        guard entries.count > capacity else { return }
        entries = entries.filter { now.milliseconds - $0.value.lastFailure.milliseconds < windowMs || ($0.value.lockedUntil ?? now) > now }
        guard entries.count > capacity else { return }
        for key in entries.sorted(by: { $0.value.lastFailure < $1.value.lastFailure }).prefix(entries.count - capacity).map(\.key) {
            entries[key] = nil
        }
    }
}
