// Timestamp: an instant as whole milliseconds since 1970. Events store instants this way, so a
// state rebuilt from stored events is bit-for-bit the state built when they were written.
import Foundation

/// An instant with millisecond precision.
public struct Timestamp: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    /// Rounds `date` down to the millisecond.
    public init(_ date: Date) {
        milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    public var date: Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    public func adding(seconds: Int64) -> Timestamp { Timestamp(milliseconds: milliseconds + seconds * 1000) }

    /// Seconds from `other` to this instant.
    public func seconds(since other: Timestamp) -> Double { Double(milliseconds - other.milliseconds) / 1000 }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.milliseconds < rhs.milliseconds }

    public var description: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    public init(from decoder: Decoder) throws { milliseconds = try decoder.singleValueContainer().decode(Int64.self) }
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(milliseconds)
    }
}

/// Where "now" comes from. Injected everywhere; tests use ``ManualClock``.
public protocol HubClock: Sendable {
    func now() -> Timestamp
}

/// The system clock.
public struct SystemClock: HubClock {
    public init() {}
    public func now() -> Timestamp { Timestamp(Date()) }
}

/// A clock that moves only when told to.
public final class ManualClock: HubClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Timestamp

    public init(_ start: Timestamp) { current = start }

    public func now() -> Timestamp { lock.withLock { current } }

    public func set(_ instant: Timestamp) { lock.withLock { current = instant } }

    public func advance(seconds: Int64) { lock.withLock { current = current.adding(seconds: seconds) } }

    public func advance(days: Int64) { advance(seconds: days * 86_400) }
}
