import ArgumentParser
import Foundation
import Sandbox

@main
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ml-sandbox",
        abstract: "Simulated Expensify, Entra ID and Dynamics 365 F&O on one loopback port, seeded from samples/sandbox.")

    @Option(help: "Address to listen on (loopback only).") var host = "127.0.0.1"
    @Option(help: "Port to listen on; 0 picks a free one.") var port = 8765
    @Option(help: "Folder with expensify.json and d365.json seeds.") var seeds = "samples/sandbox"
    @Option(help: "Latency added to every request, in milliseconds.") var latencyMs = 0
    @Option(help: "Write the base URL to this file once listening (for scripts).") var readyFile: String?

    func run() async throws {
        let options = SandboxOptions(host: host, port: port, seedDirectory: URL(fileURLWithPath: seeds), latencyMilliseconds: latencyMs)
        let sandbox = try Sandbox(options: options)
        let readyFile = self.readyFile
        try await sandbox.run { url in
            FileHandle.standardError.write(Data("ml-sandbox listening on \(url.absoluteString)\n".utf8))
            if let readyFile { try? Data(url.absoluteString.utf8).write(to: URL(fileURLWithPath: readyFile)) }
        }
    }
}
