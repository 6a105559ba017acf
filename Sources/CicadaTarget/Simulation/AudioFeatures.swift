/// What an analysis "found": figures drawn from the analysis id, so that one id always shows the same
/// result, with ranges that look like music. Nothing is computed from audio (none is kept).
struct AudioFeatures: Sendable, Codable, Equatable {
    var durationSeconds: Double
    var tempoBPM: Double
    var key: String
    var loudnessLUFS: Double
    var genre: String
    var confidence: Double
    /// Only in full analyses.
    var instruments: [String]?
    var moods: [String]?

    enum CodingKeys: String, CodingKey {
        case durationSeconds = "duration_seconds", tempoBPM = "tempo_bpm", key, loudnessLUFS = "loudness_lufs"
        case genre, confidence, instruments, moods
    }

    static let keys = ["C major", "G major", "D major", "A minor", "E minor", "F major", "B♭ major", "D minor"]
    static let genres = ["electronic", "hip-hop", "rock", "jazz", "ambient", "classical", "pop", "techno"]
    static let instrumentNames = ["drums", "bass", "synth", "piano", "guitar", "vocals", "strings"]
    static let moodNames = ["energetic", "calm", "dark", "uplifting", "melancholic"]

    /// - Parameters:
    ///   - seed: the analysis id.
    ///   - size: the file's size in bytes, if there is a file; the duration is that of 16-bit stereo at
    ///     44.1 kHz (176,400 bytes a second).
    ///   - genre: the genre the uploader gave, which the analysis then agrees with.
    init(seed: String, size: Int?, genre: String?, type: AnalysisType) {
        var state = Self.fnv1a(seed)
        func next() -> Double {
            // xorshift64*: enough to spread one 64-bit hash over several figures.
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return Double((state &* 0x2545_F491_4F6C_DD1D) >> 11) / Double(1 << 53)
        }
        durationSeconds = size.map { Self.rounded(max(0.01, Double($0) / 176_400), 2) } ?? Self.rounded(30 + next() * 270, 2)
        tempoBPM = Self.rounded(70 + next() * 110, 1)
        key = Self.keys[Int(next() * Double(Self.keys.count))]
        loudnessLUFS = Self.rounded(-24 + next() * 18, 1)
        self.genre = genre ?? Self.genres[Int(next() * Double(Self.genres.count))]
        confidence = Self.rounded(0.6 + next() * 0.39, 2)
        if type == .full {
            instruments = Self.instrumentNames.filter { _ in next() < 0.5 }
            moods = [Self.moodNames[Int(next() * Double(Self.moodNames.count))]]
        }
    }

    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3
        }
        return hash == 0 ? 1 : hash
    }

    static func rounded(_ value: Double, _ digits: Int) -> Double {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        return (value * scale).rounded() / scale
    }
}
