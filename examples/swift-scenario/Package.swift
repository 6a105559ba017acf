// swift-tools-version: 6.0
// A scenario written in Swift with Cicada's DSL and run with its library (LoadRun), as a program of its own.
import PackageDescription

let package = Package(
    name: "swift-scenario",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "cicada", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "swift-scenario",
            dependencies: [.product(name: "Cicada", package: "cicada")],
            path: "Sources/SwiftScenario"
        ),
    ]
)
