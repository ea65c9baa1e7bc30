// CaseRefusal: why a proposed change was not accepted, with a stable code and a reason a person
// can act on.

/// A refused change.
public struct CaseRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable refusal codes (they map to wire error codes).
    public enum Code: String, Sendable, Equatable {
        /// The actor's roles or unit do not allow this change.
        case forbidden
        /// The case is not in a state that allows this change.
        case invalidState = "invalid_state"
        /// An argument is missing, malformed or out of range.
        case invalidArgument = "invalid_argument"
        /// The window for this change has closed.
        case windowClosed = "window_closed"
        /// The case does not exist.
        case notFound = "not_found"
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}
