import ArgumentParser
import ConnectorCore
import Foundation
import Logging
import Pipeline

/// The task doing a command's work, cancelled by the first SIGINT/SIGTERM (also when the signal came before the task
/// was handed over).
final class WorkCanceller: @unchecked Sendable {
    private let lock = NSLock()
    private var task: Task<(text: String, json: Data, exitCode: Int32), any Error>?
    private var cancelled = false

    func set(_ task: Task<(text: String, json: Data, exitCode: Int32), any Error>) {
        lock.lock()
        self.task = task
        let cancel = cancelled
        lock.unlock()
        if cancel { task.cancel() }
    }

    func cancel() {
        lock.lock()
        cancelled = true
        let task = self.task
        lock.unlock()
        task?.cancel()
    }
}
