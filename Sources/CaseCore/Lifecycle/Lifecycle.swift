// Lifecycle: the one shape of CaseCore's state machines (CaseLifecycle for cases,
// MeetingLifecycle for meetings). Each decides a proposed change — a refusal, or what to record —
// applies a recorded event to the state, and says what the hub itself must record next (a
// negotiation settled, minutes circulated…). The stores run the same loop for both: decide,
// record, apply, then follow-ups until there are none.

/// A pure state machine of CaseCore.
public protocol Lifecycle {
    /// The state (a case, a meeting).
    associatedtype State
    /// A proposed change.
    associatedtype Change
    /// What an accepted change records.
    associatedtype Decision
    /// A recorded event.
    associatedtype Event
    /// What the rules need beyond the state (the deadline policy, the units).
    associatedtype Context

    /// Checks `change` proposed by `actor` at `now` against `state` (nil before the first event).
    static func decide(_ change: Change, on state: State?, by actor: Actor, at now: Timestamp, in context: Context) throws(CaseRefusal) -> Decision
    /// The state after `event` (`state` is nil only for the first event).
    static func apply(_ event: Event, to state: State?) -> State
    /// The change the hub itself records next in `state` at `now`, if any.
    static func followUp(_ state: State, at now: Timestamp, in context: Context) -> Change?
}

extension Lifecycle {
    /// Runs `rules`, turning anything but a refusal it throws into `invalid_argument`.
    static func refusing<T>(_ rules: () throws -> T) throws(CaseRefusal) -> T {
        do {
            return try rules()
        } catch let refusal as CaseRefusal {
            throw refusal
        } catch {
            throw CaseRefusal(.invalidArgument, "\(error)")
        }
    }
}
