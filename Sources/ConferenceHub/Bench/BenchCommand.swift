// `conference-hub bench`: reproducible performance figures. Each scenario takes its sizes as
// options, stops by itself, and prints a table and a JSON result.
import ArgumentParser

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run a benchmark scenario and print a table and a JSON result.",
        subcommands: [FanoutBench.self, DurableBench.self, ConnectBench.self, IdleBench.self, RecoverBench.self, CasesBench.self, ScaleBench.self])
}

/// A measured series of durations, in milliseconds.
struct LatencySummary: Codable {
    let count: Int
    let p50: Double
    let p99: Double
    let max: Double

    init(milliseconds samples: [Double]) {
        let sorted = samples.sorted()
        count = sorted.count
        func percentile(_ fraction: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded(.up)))]
        }
        p50 = percentile(0.5)
        p99 = percentile(0.99)
        max = sorted.last ?? 0
    }
}

/// Times `body` once, in milliseconds.
func measureMilliseconds(_ body: () async throws -> Void) async rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    try await body()
    let elapsed = clock.now - start
    return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
}
