// swift-tools-version:6.0
// The peer for `scripts/bench-compare`: a minimal room server on hummingbird-websocket and
// swift-nio-ssl speaking the subset of the ConferenceHub protocol that the fanout, connect and idle
// scenarios use (auth with a token, join a room, post, receive events). No persistence. Not built
// by the main package or by the test command.
import PackageDescription

let package = Package(
    name: "ConferenceHubPeer",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        .executableTarget(
            name: "PeerHub",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
