// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "cicada",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cicada", targets: ["CicadaCLI"]),
        .library(name: "Cicada", targets: ["Cicada"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        // The demo target (`cicada target`): an HTTP server, its auth, uploads and metrics.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        // `cicada run --config FILE`: settings in TOML.
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // System libraries, found with pkg-config and installed from Debian.
        .systemLibrary(
            name: "CLibUV",
            pkgConfig: "libuv",
            providers: [.apt(["libuv1-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // zlib, for the deflated histograms of --hdr-log (HdrHistogram's compressed encoding).
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // The C core: event loops, the HTTP/1.1 client and the simulated users. One public header.
        .target(
            name: "CCicadaCore",
            dependencies: ["CLibUV", "COpenSSL"],
            cSettings: [
                .unsafeFlags(["-O2", "-fno-strict-aliasing"], .when(configuration: .debug)),
                .define("_GNU_SOURCE"),
            ],
            linkerSettings: [.linkedLibrary("uv"), .linkedLibrary("pthread")]
        ),
        // The Swift layer: scenarios, load shapes, metrics and reports.
        .target(
            name: "Cicada",
            dependencies: [
                "CCicadaCore",
                "CZlib",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "CSV", package: "CSV.swift"),
            ]
        ),
        // The demo target: the SampleMind API (docs/demo-target.md) as a Hummingbird server.
        .target(
            name: "CicadaTarget",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // What a run serves over HTTP while it goes on: the web UI and its API, and the Prometheus metrics
        // (--metrics-port).
        .target(
            name: "CicadaWeb",
            dependencies: [
                "Cicada",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "CicadaCLI",
            dependencies: [
                "Cicada",
                "CicadaTarget",
                "CicadaWeb",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        // bench/run's case 8 row for a request hook: a scenario run through the library with a Swift hook.
        .executableTarget(name: "cicada-hook-bench", dependencies: ["Cicada"], path: "bench/hook"),
        // Real servers for the tests: an nginx fixture and a fault server that misbehaves on purpose.
        .target(name: "CicadaTestSupport", dependencies: ["COpenSSL"], path: "Tests/Support", exclude: ["README.md"]),
        .testTarget(name: "CicadaCoreTests", dependencies: ["CCicadaCore", "CicadaTestSupport"]),
        .testTarget(name: "CicadaTests",
                    dependencies: ["Cicada", "CicadaWeb", "CCicadaCore", "CicadaTestSupport", .product(name: "CSV", package: "CSV.swift")],
                    exclude: ["Data"]),
        .testTarget(
            name: "CicadaTargetTests",
            dependencies: [
                "CicadaTarget",
                "CicadaTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
    ]
)
