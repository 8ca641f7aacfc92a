// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "ml-connector",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ml-connector", targets: ["ml-connector"]),
        .executable(name: "ml-sandbox", targets: ["ml-sandbox"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        // Reading the review CSV back after a spreadsheet saved it (BOM, CRLF, `;`, re-quoting).
        .package(url: "https://github.com/swiftcsv/SwiftCSV", exact: "0.10.0"),
        // The batch report (report.html): logic-less templates, every value escaped.
        .package(url: "https://github.com/hummingbird-project/swift-mustache", exact: "2.1.1"),
        // `ml-connector schedule`: graceful shutdown on SIGTERM/SIGINT between runs.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        // Tests only: generators for the bad-input corpus (property-based).
        .package(url: "https://github.com/x-sheep/swift-property-based", exact: "2.0.1"),
    ],
    targets: [
        // Domain: money, reports, documents, configuration, errors. Foundation only, no I/O.
        .target(name: "ConnectorCore", swiftSettings: strict),
        // SQLite batch ledger (GRDB): batches, stage runs, report/document states, watermark, audit trail.
        .target(
            name: "ConnectorLedger",
            dependencies: [
                "ConnectorCore", .product(name: "GRDB", package: "GRDB.swift"),
            ], swiftSettings: strict),
        // Staging folder layout, deterministic JSON/CSV files and their hashes.
        .target(
            name: "ConnectorStaging",
            dependencies: [
                "ConnectorCore", .product(name: "Crypto", package: "swift-crypto"),
            ], swiftSettings: strict),
        // The encrypted credential store (AES-GCM, swift-crypto) and the secret sources: environment first, then the store.
        .target(
            name: "ConnectorSecrets",
            dependencies: [
                "ConnectorCore", .product(name: "Crypto", package: "swift-crypto"),
            ], swiftSettings: strict),
        // libcurl (system library; non-variadic setopt shims in Sources/CCurl/shim.h).
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"]), .brew(["curl"])]),
        // HTTP transport (libcurl multi interface), retries, Retry-After, Entra ID tokens, Authorization header sources.
        .target(
            name: "ConnectorHTTP",
            dependencies: [
                "ConnectorCore", "CCurl", .product(name: "Logging", package: "swift-log"),
            ], swiftSettings: strict),
        // Expensify Integration Server client and the shipped export template.
        .target(
            name: "Expensify",
            dependencies: [
                "ConnectorCore", "ConnectorHTTP", .product(name: "Logging", package: "swift-log"),
            ], resources: [.copy("Resources/export-template.json.ftl")], swiftSettings: strict),
        // OData v4 shared by every OData target: client with paging and next links, query builder, $batch multipart
        // codec, error envelopes. Each system maps errors to its own codes at its edge.
        .target(
            name: "OData",
            dependencies: [
                "ConnectorCore", "ConnectorHTTP", .product(name: "Logging", package: "swift-log"),
            ], swiftSettings: strict),
        // NAV SOAP page and codeunit web services (the XML path): safe XML parsing, envelopes, results and faults, the client.
        .target(
            name: "NAVSOAP",
            dependencies: [
                "ConnectorCore", "ConnectorHTTP", .product(name: "Logging", package: "swift-log"),
            ], swiftSettings: strict),
        // Dynamics 365 F&O: pending vendor invoice payloads, its settings, dimension display values, the target.
        .target(
            name: "Dynamics365",
            dependencies: [
                "ConnectorCore", "ConnectorHTTP", "OData", .product(name: "Logging", package: "swift-log"),
            ], swiftSettings: strict),
        // Business Central (API v2.0) and NAV (OData v4 pages, SOAP pages): purchase invoices or general journal lines.
        .target(
            name: "BusinessCentral",
            dependencies: [
                "ConnectorCore", "ConnectorHTTP", "OData", "NAVSOAP", .product(name: "Logging", package: "swift-log"),
            ], swiftSettings: strict),
        // The stages: extract, transform, load, commit, run, status.
        .target(
            name: "Pipeline",
            dependencies: [
                "ConnectorCore", "ConnectorLedger", "ConnectorStaging", "ConnectorSecrets", "ConnectorHTTP", "Expensify", "Dynamics365",
                "BusinessCentral", .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftCSV", package: "SwiftCSV"), .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ], swiftSettings: strict),
        // Thin command-line front end.
        .executableTarget(
            name: "ml-connector",
            dependencies: [
                "Pipeline", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ], swiftSettings: strict),
        // Simulators of Expensify, Entra ID and D365 F&O. Imports nothing of the product.
        .target(
            name: "Sandbox",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ], swiftSettings: strict),
        .executableTarget(
            name: "ml-sandbox",
            dependencies: [
                "Sandbox", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], swiftSettings: strict),
        // Transport benchmark (scripts/bench-transport.sh): CPU while waiting, dropped connections, download memory.
        .executableTarget(name: "ml-transport-bench", dependencies: ["ConnectorCore", "ConnectorHTTP"], swiftSettings: strict),
        // Input generator of the transform benchmark (scripts/bench-transform.sh): a batch's extract files and ledger rows.
        // NAV SOAP benchmark (scripts/bench-navsoap.sh): reading a large ReadMultiple page, writing envelopes, refusals.
        .executableTarget(name: "ml-navsoap-bench", dependencies: ["ConnectorCore", "NAVSOAP"], swiftSettings: strict),
        .executableTarget(name: "ml-transform-bench", dependencies: ["ConnectorCore", "ConnectorLedger", "ConnectorStaging"], swiftSettings: strict),
        .testTarget(
            name: "ConnectorCoreTests",
            dependencies: [
                "ConnectorCore", "ConnectorStaging", "ConnectorLedger", "ConnectorSecrets", "ConnectorHTTP", "OData", "Expensify", "Dynamics365",
                "BusinessCentral", "Pipeline", "NAVSOAP",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ], exclude: ["Golden"], swiftSettings: strict),
        .testTarget(name: "SandboxTests", dependencies: ["Sandbox"], swiftSettings: strict),
        .testTarget(
            name: "PipelineTests",
            dependencies: [
                "Pipeline", "Sandbox", "ml-connector", "ConnectorLedger", "ConnectorCore", "ConnectorHTTP", "BusinessCentral", "NAVSOAP",
                .product(name: "Logging", package: "swift-log"),
            ], exclude: ["Golden"], swiftSettings: strict),
    ]
)
