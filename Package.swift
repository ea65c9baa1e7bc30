// swift-tools-version:6.0
// ConferenceHub: a TLS WebSocket hub for a joint conference on petition work.
// Layout (DEVELOPERS.md): two system-library shims, two libraries, one executable, two test targets.
import PackageDescription

let package = Package(
    name: "ConferenceHub",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "conference-hub", targets: ["ConferenceHub"]),
        .library(name: "Messaging", targets: ["Messaging"]),
        .library(name: "CaseCore", targets: ["CaseCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.8.0"),
    ],
    targets: [
        .systemLibrary(name: "COpenSSL", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .target(
            name: "Messaging",
            dependencies: [
                "COpenSSL",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "CaseCore",
            dependencies: [
                "CSQLite",
                "COpenSSL",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "ConferenceHub",
            dependencies: [
                "Messaging",
                "CaseCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            // The console's files are embedded as Console/ConsoleAssetFiles.swift (scripts/embed-console).
            exclude: ["Console/assets"]
        ),
        .testTarget(
            name: "HubTests",
            dependencies: [
                "ConferenceHub",
                "Messaging",
                "CaseCore",
                "COpenSSL",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            // The browser tests: a Python harness (Selenium) that ConsoleBrowserTests runs; data
            // directories written by earlier versions (scripts/make-compat-fixture).
            exclude: ["Browser", "Fixtures"]
        ),
        .testTarget(
            name: "CaseCoreTests",
            dependencies: ["CaseCore"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
