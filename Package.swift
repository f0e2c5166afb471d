// swift-tools-version: 6.1
import PackageDescription

/// Settings every target shares: Swift 6 language mode is the package default; warnings become errors in CI.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "Rendezvous",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "rendezvous", targets: ["rendezvous"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // Pure domain: Foundation only, no I/O, no clock reads.
        .target(name: "Booking", swiftSettings: strictSettings),
        // The one HTML escape and page shell (the fake's checkout page and the few pages written in code).
        .target(name: "Markup", swiftSettings: strictSettings),
        // Use cases and the ports they need (BookingStore, clock, IDs).
        .target(
            name: "Workflow",
            dependencies: [
                "Booking", "Payments",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            resources: [.copy("Resources/demo-practice.json")],
            swiftSettings: strictSettings
        ),
        // BookingStore implementations (SQLite through GRDB).
        .target(
            name: "Storage",
            dependencies: ["Booking", "Workflow", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        // The same storage ports on PostgreSQL (postgres-nio), for several instances on one database.
        .target(
            name: "PostgresStore",
            dependencies: [
                "Booking", "Workflow",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // The payment provider port and Stripe: client, wire types, webhook signatures, event decoding.
        .target(
            name: "Payments",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Emails from templates, calendar files and links, SMTP delivery, the email outbox worker, the development mailbox.
        .target(
            name: "Notifications",
            dependencies: [
                "Booking", "Workflow",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Templates")],
            swiftSettings: strictSettings
        ),
        // A stateful Stripe-compatible provider: API, hosted checkout page, signed webhook delivery.
        .target(
            name: "FakeStripe",
            dependencies: [
                "Payments", "Markup",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The Hummingbird application: JSON API, webhook intake, payment links, admin authentication.
        .target(
            name: "Web",
            dependencies: [
                "Booking", "Workflow", "Payments", "Notifications", "Markup",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [
                .copy("openapi.json"), .copy("Pages/Templates"), .copy("Pages/Catalogs"), .copy("Pages/Assets"),
            ],
            swiftSettings: strictSettings
        ),
        // The command line and the one composition root.
        .executableTarget(
            name: "rendezvous",
            dependencies: [
                "Booking", "Workflow", "Storage", "PostgresStore", "Payments", "FakeStripe", "Notifications", "Web",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            // The webhooks benchmark's event: Webhooks/checkout.session.completed.json on one line, its ids to fill.
            resources: [.copy("Resources/checkout.session.completed.json")],
            swiftSettings: strictSettings
        ),
        // Canned domain values and fixtures shared by the test targets.
        .target(
            name: "TestSupport",
            dependencies: [
                "Booking", "Workflow", "Storage", "PostgresStore", "Payments", "FakeStripe",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "BookingTests", dependencies: ["Booking", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "WorkflowTests",
            dependencies: ["Booking", "Workflow", "Storage", "Payments", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: [
                "Booking", "Workflow", "Storage", "PostgresStore", "TestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PaymentsTests",
            dependencies: [
                "Payments", "FakeStripe", "TestSupport", .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FakeStripeTests",
            dependencies: [
                "Payments", "FakeStripe", "TestSupport", .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "NotificationsTests",
            dependencies: [
                "Booking", "Workflow", "Storage", "Notifications", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "WebTests",
            dependencies: [
                "Booking", "Workflow", "Storage", "Payments", "FakeStripe", "Web", "Markup", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "Booking", "Workflow", "Storage", "Payments", "FakeStripe", "Notifications", "Web", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "RendezvousTests",
            dependencies: ["rendezvous", "Storage", "PostgresStore", "Notifications", "Web", "TestSupport"],
            swiftSettings: strictSettings
        ),
    ]
)
