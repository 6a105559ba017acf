import Cicada
import CicadaWeb
import Dispatch
import Foundation

/// Starts the web UI's runs as `cicada run --headless` with the same values: ``RunCommand/applying(_:)``,
/// then ``RunCommand/prepare(web:)`` and the run on a thread of its own, then
/// ``RunCommand/finish(_:result:keepReports:chartLibrary:startedFrom:)``, whose files and exit code are the
/// headless run's.
struct CommandLauncher: RunLauncher, @unchecked Sendable {
    // A copy of the parsed command, only read (each launch copies it again).
    let command: RunCommand
    let defaults: FormDefaults
    let chartLibrary: String

    func launch(_ fields: StartFields, finished: @escaping @Sendable (Result<RunReports, WebError>) -> Void) throws -> StartedRun {
        let command = try command.applying(fields)
        let handoff = LaunchHandoff()
        let chartLibrary = chartLibrary
        let thread = Thread {
            let prepared: PreparedRun
            do {
                prepared = try command.prepare(web: true)
            } catch {
                handoff.hand(.failure(Self.webError(error)))
                return
            }
            handoff.hand(.success(StartedRun(
                run: prepared.run, control: prepared.control, feed: prepared.feed, evaluator: prepared.evaluator,
                target: prepared.target,
                userCapacity: prepared.userCapacity, isOpenModel: prepared.isOpenModel, hasStages: prepared.hasStages,
                workerThreads: command.threads ?? ProcessInfo.processInfo.activeProcessorCount)))
            do {
                let result = try prepared.run.run(observer: prepared.observer)
                let ending = command.finish(prepared, result: result, keepReports: true, chartLibrary: chartLibrary,
                                            startedFrom: fields)
                finished(ending.reports.map { .success($0) } ?? .failure(WebError(.internalServerError, "the reports were not made")))
            } catch {
                prepared.errors.write("cicada: error: \(error)\n")
                finished(.failure(Self.webError(error)))
            }
        }
        thread.name = "cicada web run"
        thread.start()
        return try handoff.receive().get()
    }

    static func webError(_ error: any Error) -> WebError {
        switch error {
        case let error as WebError: return error
        // The host is the one setting whose absence the command line reports as a setup error: name its field.
        case let error as SetupError: return WebError.badInput(error.description, field: error.description.hasPrefix("no host") ? "host" : nil)
        case let error as CicadaError: return WebError.badInput(error.description)
        case let error as InputError: return WebError.badInput(error.message)
        default: return WebError.badInput("\(error)")
        }
    }
}

/// Hands the prepared run (or why it could not be) from the run's thread to the web handler that started it.
private final class LaunchHandoff: @unchecked Sendable {
    private let ready = DispatchSemaphore(value: 0)
    // Written before `ready` is signalled, read after: the semaphore orders them.
    private var outcome: Result<StartedRun, WebError>?

    func hand(_ outcome: Result<StartedRun, WebError>) {
        self.outcome = outcome
        ready.signal()
    }

    func receive() -> Result<StartedRun, WebError> {
        ready.wait()
        return outcome!
    }
}
