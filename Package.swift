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
    ],
    targets: [
        // Pure domain: Foundation only, no I/O, no clock reads.
        .target(name: "Booking", swiftSettings: strictSettings),
        // Use cases and the ports they need (BookingStore, clock, IDs).
        .target(name: "Workflow", dependencies: ["Booking"], swiftSettings: strictSettings),
        // BookingStore implementations (SQLite through GRDB).
        .target(
            name: "Storage",
            dependencies: ["Booking", "Workflow", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        // The command line and the one composition root.
        .executableTarget(
            name: "rendezvous",
            dependencies: [
                "Booking", "Workflow", "Storage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Canned domain values and fixtures shared by the test targets.
        .target(
            name: "TestSupport",
            dependencies: ["Booking", "Workflow", "Storage"],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "BookingTests", dependencies: ["Booking", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "WorkflowTests",
            dependencies: ["Booking", "Workflow", "Storage", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: ["Booking", "Workflow", "Storage", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "RendezvousTests",
            dependencies: ["rendezvous", "Storage", "TestSupport"],
            swiftSettings: strictSettings
        ),
    ]
)
