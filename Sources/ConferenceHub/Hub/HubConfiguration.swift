// HubConfiguration: the conference protocol's limits and timers, each with its default.
import CaseCore
import NIOCore

/// Limits of the conference protocol (`serve` options set them).
struct HubConfiguration: Sendable {
    /// How long a browser session lasts after sign-in. Default 8 hours.
    var sessionLifetime: Duration = SignInService.defaultSessionLifetime
    /// scrypt's parameters for new passwords (stored ones keep theirs). Default N=2^15, r=8, p=1.
    var passwordParameters: ScryptParameters = .standard
    /// When failed sign-ins are throttled.
    var signInThrottle = SignInThrottle.Policy()
    /// Requests per second per connection (token bucket rate). Default 50.
    var requestsPerSecond: Double = 50
    /// Burst of the token bucket. Default 100.
    var requestBurst: Double = 100
    /// Rooms one connection may have joined at once. Default 100.
    var maxRoomsPerConnection = 100
    /// Open connections per person. Default 8.
    var maxConnectionsPerPerson = 8
    /// Longest message text, in characters. Default 4,000.
    var maxTextLength = 4_000
    /// Time allowed to authenticate after connecting. Default 10 s.
    var authenticationTimeout: TimeAmount = .seconds(10)
    /// Most events a join replays; further behind, the join answers `recovered: false`. Default 10,000.
    var maxReplay = 10_000
    /// Requests queued per connection while one is being served. Default 64.
    var maxQueuedRequests = 64
    /// How often the hub looks for revoked credentials. Default 2 s.
    var revocationPollInterval: TimeAmount = .seconds(2)
    /// How often a room may write to one member (`serve --fanout-interval-ms`, default 0, and
    /// `--fanout-pace-us`, default 60). A room's event loops go round its members and write to
    /// each what it does not have yet; pacing makes a large room's rounds longer, so that each
    /// write carries more events.
    var fanoutPacing = FanoutPacing(interval: .zero, perMember: .microseconds(60))
    /// How often the hub records lapsed negotiation and decision deadlines. Default 30 s.
    var deadlineSweepInterval: TimeAmount = .seconds(30)
}
