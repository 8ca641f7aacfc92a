import Foundation

/// A seeded generator (SplitMix64) for the simulators' random fault modes: the same seed gives the same sequence on
/// every platform, so a failing fault test can be replayed from the seed it prints.
struct SandboxRandom: Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }

    /// Two draws (whatever the outcome, so one fault's place in the sequence never shifts the next): whether a request
    /// fails with `probability`, and which of `outcomes` it gets; nil when it passes.
    mutating func pick(probability: Double, outcomes: Int) -> Int? {
        let roll = unit()
        let choice = next()
        guard roll < probability, outcomes > 0 else { return nil }
        return Int(choice % UInt64(outcomes))
    }
}
