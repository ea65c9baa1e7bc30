// HubProtocol: the hub's version, defined once (the subprotocol is `ConferenceProtocol.subprotocol`,
// shared with the clients in Messaging).

/// The hub's identifiers.
enum HubProtocol {
    /// The server's version string.
    static let serverVersion = "0.6.0"
}
