import Foundation

/// Simulated Expensify Integration Server (placeholder; being written).
public actor ExpensifySimulator: SimulatorHandler {
    public init(seedFile: URL) throws {}
    public func handle(_ request: SimRequest) async -> SimResponse? { nil }
}
