import ArgumentParser

/// The `ml-connector` executable: commands only parse arguments and call one Pipeline function.
@main
struct MLConnector: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ml-connector",
        abstract: "Approved Expensify reports → Dynamics 365 F&O pending vendor invoices, in rerunnable stages.",
        discussion: "Stages write staging/<batch>/{extract,transform,load,commit}/ and record every step in the SQLite ledger.",
        subcommands: [
            Run.self, Extract.self, Transform.self, Load.self, Commit.self, Replay.self, Status.self, Audit.self, Report.self, Drop.self,
            CheckConfig.self, Check.self, Credentials.self, Review.self, Reconcile.self, Schedule.self, Employees.self, Maps.self, Align.self,
        ])
}
