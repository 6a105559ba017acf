import CCicadaCore

/// The version printed by the CLI and written into summaries: the core's `CC_VERSION`, which its request
/// writer also sends as `User-Agent: cicada/VERSION`, so the two cannot disagree.
public let cicadaVersion: String = CC_VERSION
