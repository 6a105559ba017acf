/// A problem with the scenario, the target or the environment, found before any load is sent: printed
/// as one line naming what is wrong, without the usage text, and the exit code is 2.
struct SetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
