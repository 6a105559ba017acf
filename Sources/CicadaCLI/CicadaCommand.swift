import ArgumentParser
import Cicada
import Foundation

@main
struct CicadaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cicada",
        abstract: "A load generator for HTTP services: Locust's user model at wrk's cost per request.",
        discussion: """
            Exit codes: 0 when every request succeeded, 1 when any request failed, 2 for a usage or \
            scenario error.
            """,
        version: cicadaVersion,
        subcommands: [RunCommand.self])

    /// ArgumentParser exits with 64 on usage errors; Cicada promises 2, as Locust does.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch let error as SetupError {
            FileHandle.standardError.write(Data("cicada: error: \(error)\n".utf8))
            Foundation.exit(2)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }
}
