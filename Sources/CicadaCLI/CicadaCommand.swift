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
            1 (or --exit-code-on-error's) when a request failed and no thresholds were given, 2 for a usage or scenario error (no load \
            was sent), 3 when a threshold failed or aborted the run, 4 when the run ended but a report file \
            could not be written.
            """,
        version: cicadaVersion,
        subcommands: [RunCommand.self, ValidateCommand.self, TargetCommand.self, DemoCommand.self])

    /// ArgumentParser exits with 64 on usage errors; Cicada promises 2, as Locust does.
    static func main() {
        // A closed pipe on stdout or stderr (`cicada run ... | head -1`) must fail a write, which the
        // console treats as a warning, instead of killing the run and its report files.
        signal(SIGPIPE, SIG_IGN)
        let errors = ConsoleStream(fileDescriptor: STDERR_FILENO, name: "standard error")
        var sources: [String: String] = [:]
        do {
            let layered = try layeredArguments(Array(CommandLine.arguments.dropFirst()),
                                               environment: ProcessInfo.processInfo.environment)
            sources = layered.sources
            var command = try parseAsRoot(layered.arguments)
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
            var message = fullMessage(for: error)
            // A value from the environment or the config file is refused in the option's words: say where it was.
            for (name, source) in sources.sorted(by: { $0.key < $1.key }) where message.contains("'--\(name) ") {
                message += "\n(--\(name) was set by \(source))"
            }
            errors.write(message + "\n")
            Foundation.exit(2)
        }
    }

    /// `cicada run`'s arguments with the config file's and the `CICADA_*` variables' settings beneath the
    /// command line's (``LayeredArguments``); other subcommands' as given.
    static func layeredArguments(_ arguments: [String], environment: [String: String]) throws
        -> (arguments: [String], sources: [String: String]) {
        guard arguments.first == "run" else { return (arguments, [:]) }
        let commandLine = Array(arguments.dropFirst())
        let options = CommandOptions.of("run")
        let layers = LayeredArguments(options: options)
        var configPath = environment["CICADA_CONFIG"]
        for (index, argument) in commandLine.enumerated() {
            if argument == "--" { break }
            if argument == "--config" { configPath = index + 1 < commandLine.count ? commandLine[index + 1] : nil }
            if argument.hasPrefix("--config=") { configPath = String(argument.dropFirst("--config=".count)) }
        }
        let file = try configPath.map { try ConfigFile.read(path: $0, options: options) } ?? []
        let merged = try layers.merge(commandLine: commandLine, environment: environment, file: file)
        return (["run"] + merged.arguments, merged.sources)
    }
}
