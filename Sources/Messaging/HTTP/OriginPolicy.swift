// OriginPolicy: which browser origins may open the WebSocket and use the hub's HTTP endpoints that
// act for a person (sign-in). A browser names the page's origin in `Origin`; a page from another
// site must not reach the hub with the credentials the browser holds for it (a client certificate
// is sent automatically). A request without `Origin` is not from a browser page and is not
// checked here. Pure: decided from the header and the port the request came in on.

/// The origins allowed to talk to the hub from a browser.
public struct OriginPolicy: Sendable, Equatable {
    /// Host names and addresses the hub answers for (its certificate's names, lowercased); an
    /// origin `https://<one of these>:<the listener's port>` is the hub's own.
    public var ownHosts: Set<String>
    /// Further origins, exactly (`https://console.example.gov.cn`), normalized.
    public var additionalOrigins: Set<String>

    public init(ownHosts: some Sequence<String> = [], additionalOrigins: some Sequence<String> = []) {
        self.ownHosts = Set(ownHosts.map { Self.normalizedHost($0) })
        self.additionalOrigins = Set(additionalOrigins.compactMap { Self.parse($0)?.text })
    }

    /// Whether a request with `origin` (the header's value; nil when absent) that arrived on
    /// `localPort` may proceed. Without the header: yes (not a browser page).
    public func allows(origin: String?, localPort: Int) -> Bool {
        guard let origin else { return true }
        guard let parsed = Self.parse(origin) else { return false }
        if additionalOrigins.contains(parsed.text) { return true }
        return parsed.scheme == "https" && parsed.port == localPort && ownHosts.contains(parsed.host)
    }

    /// Whether a request naming `host` in its `Host` header, on `localPort`, is for this hub: one of
    /// its own names on that port, or the host of an allowed origin. A policy that knows no name of
    /// its own (a server set up without a certificate's names, as in tests) checks no `Host`.
    public func allowsHost(_ host: String?, localPort: Int) -> Bool {
        guard !ownHosts.isEmpty || !additionalOrigins.isEmpty else { return true }
        guard let host, host.utf8.count <= 255 else { return false }
        return allows(origin: "https://" + host, localPort: localPort)
    }

    /// The hub's own origin for a request whose `Host` header is `host` on `localPort`, when that
    /// host is one of ours: `https://host:port` (what a page served to it runs under).
    public func ownOrigin(host: String?, localPort: Int) -> String? {
        guard let host, let parsed = Self.parse("https://" + host), parsed.port == localPort, ownHosts.contains(parsed.host) else {
            return nil
        }
        return parsed.text
    }

    /// Whether `text` is an origin this policy can hold (`scheme://host[:port]`, http or https,
    /// nothing after the host and port).
    public static func isValidOrigin(_ text: String) -> Bool { parse(text) != nil }

    struct Parsed: Equatable {
        let scheme: String
        let host: String
        let port: Int
        /// `scheme://host:port`, the port always written.
        var text: String { "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
    }

    /// Parses `scheme://host[:port]` (RFC 6454 serialization; IPv6 in brackets). Bounded: an
    /// origin longer than 255 bytes is refused.
    static func parse(_ text: String) -> Parsed? {
        guard text.utf8.count <= 255 else { return nil }
        let lowered = text.lowercased()
        let scheme: String
        let defaultPort: Int
        let rest: Substring
        if lowered.hasPrefix("https://") {
            (scheme, defaultPort, rest) = ("https", 443, lowered.dropFirst(8))
        } else if lowered.hasPrefix("http://") {
            (scheme, defaultPort, rest) = ("http", 80, lowered.dropFirst(7))
        } else {
            return nil
        }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else {
            let parts = rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            host = parts[0]
            if parts.count == 2 { portText = parts[1] }
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" }),
              host.unicodeScalars.allSatisfy(\.isASCII)
        else { return nil }
        var port = defaultPort
        if let portText {
            guard let value = Int(portText), (1...65_535).contains(value), portText.allSatisfy(\.isNumber) else { return nil }
            port = value
        }
        return Parsed(scheme: scheme, host: String(host), port: port)
    }

    static func normalizedHost(_ host: String) -> String {
        let lowered = host.lowercased()
        if lowered.hasPrefix("["), lowered.hasSuffix("]") { return String(lowered.dropFirst().dropLast()) }
        return lowered
    }
}
