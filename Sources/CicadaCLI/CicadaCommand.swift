import ArgumentParser
import Cicada
import Foundation

@main
struct CicadaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cicada",
        abstract: "A load generator for HTTP services: Locust's user model at wrk's cost per request.",
        discussion: """
            Exit codes: 0 when every request succeeded (or, with thresholds, when every threshold held), \
            1 when a request failed and no thresholds were given, 2 for a usage or scenario error (no load \
            was sent), 3 when a threshold failed or aborted the run, 4 when the run ended but a report file \
            could not be written.
            """,
        version: cicadaVersion,
        subcommands: [RunCommand.self, ValidateCommand.self, TargetCommand.self])

    /// ArgumentParser exits with 64 on usage errors; Cicada promises 2, as Locust does.
    static func main() {
        // A closed pipe on stdout or stderr (`cicada run ... | head -1`) must fail a write, which the
        // console treats as a warning, instead of killing the run and its report files.
        signal(SIGPIPE, SIG_IGN)
        let errors = ConsoleStream(fileDescriptor: STDERR_FILENO, name: "standard error")
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch let error as SetupError {
            errors.write("cicada: error: \(error)\n")
            Foundation.exit(RunExitCode.usage)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            errors.write(fullMessage(for: error) + "\n")
            Foundation.exit(2)
        }
    }
}
