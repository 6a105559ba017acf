import ArgumentParser

/// A TCP port from the command line (`--metrics-port`, `--web-port`): 0 to 65535, 0 for a free one the
/// kernel picks.
func parsePort(_ text: String) throws -> Int {
    guard let port = Int(text), (0...65535).contains(port) else {
        throw ValidationError("expected a port from 0 to 65535, got '\(text)'")
    }
    return port
}
