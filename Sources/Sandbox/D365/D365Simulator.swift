import Foundation

/// Simulated Entra ID token endpoint and D365 F&O OData service (placeholder; being written).
public actor D365Simulator: SimulatorHandler {
    public init(seedFile: URL) throws {}
    public func handle(_ request: SimRequest) async -> SimResponse? { nil }
}
