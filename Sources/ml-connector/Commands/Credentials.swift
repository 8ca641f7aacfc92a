import ArgumentParser
import ConnectorCore
import Foundation
import Pipeline

extension MLConnector {
    struct Credentials: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "credentials",
            abstract: "Manage the encrypted credential store (AES-GCM). Environment variables of the same name still win.",
            subcommands: [Set.self, List.self, Remove.self, RotateKey.self])

        /// Runs `body` with the configured store, printing its text or its error with the stable exit code.
        static func perform(_ global: GlobalOptions, _ body: (CredentialsAdmin) throws -> String) throws {
            do {
                print(try body(try CredentialsAdmin(configPath: global.configPath, options: global.checkOptions)), terminator: "")
            } catch let e as ConnectorError {
                FileHandle.standardError.write(Data("error: \(e.description)\n".utf8))
                throw ExitCode(Exit.code(for: e))
            }
        }

        struct Set: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "set", abstract: "Store a secret, read from standard input (one line) or from --from-env; never from the command line.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The secret's name: the variable name the configuration gives (e.g. D365_CLIENT_SECRET).") var name: String
            @Option(help: "Read the value from this environment variable instead of standard input.") var fromEnv: String?

            func run() async throws {
                let value: String
                if let fromEnv {
                    value = ProcessInfo.processInfo.environment[fromEnv] ?? ""
                } else {
                    value = readLine(strippingNewline: true) ?? ""
                }
                try Credentials.perform(global) { try $0.set(name, value: Secret(value)) }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List stored names and when they were set (never values).")
            @OptionGroup var global: GlobalOptions

            func run() async throws {
                if global.json {
                    let entries = try CredentialsAdmin(configPath: global.configPath, options: global.checkOptions).list()
                    FileHandle.standardOutput.write(encoded(entries))
                    print("")
                    return
                }
                try Credentials.perform(global) { admin in
                    let entries = try admin.list()
                    if entries.isEmpty { return "No stored credentials (\(admin.location.storePath)).\n" }
                    return entries.map { "\($0.name)  set \($0.updated)\n" }.joined()
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a stored secret.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The secret's name.") var name: String

            func run() async throws { try Credentials.perform(global) { try $0.remove(name) } }
        }

        struct RotateKey: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "rotate-key", abstract: "Reseal the store under a new random key.")
            @OptionGroup var global: GlobalOptions
            @Option(help: "Where to write the new key when the current one comes from ML_CONNECTOR_CREDENTIALS_KEY.") var newKeyFile: String?

            func run() async throws { try Credentials.perform(global) { try $0.rotateKey(newKeyFile: newKeyFile) } }
        }
    }
}
