// BenchMeasurements: what a load scenario measures and reports — latency histograms, slow
// commits, the p99 of each second, the machine's busy and stolen shares, and the CPU cost per
// operation of the server and of the load generator.
import ArgumentParser
import CaseCore
import Foundation
import Histogram
import Messaging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Latencies in microseconds, with HdrHistogram.
struct LatencyHistogram {
    private var histogram: Histogram<UInt64>

    /// `digits`: the precision kept (three for a run's figures; two for its seconds, at a tenth
    /// of the memory).
    init(digits: SignificantDigits = .three) {
        histogram = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: digits)
    }

    mutating func record(microseconds: UInt64) { _ = histogram.record(min(microseconds, 600_000_000)) }
    mutating func add(_ other: LatencyHistogram) { histogram.add(other.histogram) }

    var count: UInt64 { histogram.totalCount }

    /// p50, p99, p99.9 and max, in milliseconds.
    var summary: [String: Double] {
        guard histogram.totalCount > 0 else { return ["p50_ms": 0, "p99_ms": 0, "p999_ms": 0, "max_ms": 0] }
        return [
            "p50_ms": Double(histogram.valueAtPercentile(50)) / 1000, "p99_ms": Double(histogram.valueAtPercentile(99)) / 1000,
            "p999_ms": Double(histogram.valueAtPercentile(99.9)) / 1000, "max_ms": Double(histogram.max) / 1000,
        ]
    }
}

/// Slow commits read from a hub's log (`serve` warns of each, with `duration_ms=`).
struct SlowCommits: Equatable {
    let threshold: Int
    private(set) var durations: [Double] = []

    init(log: String, threshold: Int) {
        self.threshold = threshold
        for line in log.split(separator: "\n") where line.contains("slow commit") {
            guard let range = line.range(of: "duration_ms=") else { continue }
            let value = line[range.upperBound...].prefix { $0.isNumber || $0 == "." }
            if let milliseconds = Double(value) { durations.append(milliseconds) }
        }
    }

    var row: (String, String) {
        let name = "commits of \(threshold) ms or more"
        guard let longest = durations.max() else { return (name, "none") }
        return (name, String(format: "%d, longest %.1f ms, %.0f ms in all", durations.count, longest, durations.reduce(0, +)))
    }

    var json: [String: Any] {
        ["threshold_ms": threshold, "count": durations.count, "longest_ms": durations.max() ?? 0, "total_ms": durations.reduce(0, +)]
    }
}

/// Latencies by the second in which each message was sent (counted from an origin), so that a
/// run's tail can be told apart: steady in every second, or from a few bad ones. Read together
/// with ``MachineSeconds``, which says how much time the hypervisor stole in each.
struct LatencyBySecond {
    /// Seconds kept; later messages are not counted here (the run's own figures count them).
    static let limit = 600
    private(set) var seconds: [LatencyHistogram] = []

    mutating func record(sent: UInt64, origin: UInt64, microseconds: UInt64) {
        let second = sent > origin ? Int((sent - origin) / 1_000_000_000) : 0
        guard second < Self.limit else { return }
        while seconds.count <= second { seconds.append(LatencyHistogram(digits: .two)) }
        seconds[second].record(microseconds: microseconds)
    }

    mutating func add(_ other: LatencyBySecond) {
        while seconds.count < other.seconds.count { seconds.append(LatencyHistogram(digits: .two)) }
        for (index, histogram) in other.seconds.enumerated() { seconds[index].add(histogram) }
    }

    /// One entry per second with messages: its count, p99 and max (ms), and the machine's busy
    /// and stolen share in that second when `machine` has it.
    func report(machine: [MachineSeconds.Second]) -> (row: String, json: [[String: Any]])? {
        var entries: [(second: Int, count: UInt64, p99: Double, max: Double)] = []
        for (second, histogram) in seconds.enumerated() where histogram.count > 0 {
            let summary = histogram.summary
            entries.append((second, histogram.count, summary["p99_ms"] ?? 0, summary["max_ms"] ?? 0))
        }
        guard !entries.isEmpty else { return nil }
        let json: [[String: Any]] = entries.map { entry in
            var object: [String: Any] = ["second": entry.second, "count": Int(entry.count), "p99_ms": entry.p99, "max_ms": entry.max]
            if entry.second < machine.count {
                object["busy_percent"] = machine[entry.second].busy
                object["steal_percent"] = machine[entry.second].steal
            }
            return object
        }
        let sorted = entries.sorted { $0.p99 < $1.p99 }
        let worst = sorted.last!
        let stolen = worst.second < machine.count ? String(format: ", %.1f %% stolen in it", machine[worst.second].steal) : ""
        let row = String(format: "median %.2f ms over %d s, best %.2f ms, worst %.2f ms",
                         sorted[sorted.count / 2].p99, sorted.count, sorted[0].p99, worst.p99) + " (second \(worst.second)\(stolen))"
        return (row, json)
    }
}

/// The machine's busy and stolen share of each second from an origin, sampled from /proc/stat
/// by a repeated task (touched only on its event loop).
final class MachineSeconds: @unchecked Sendable {
    struct Second: Sendable {
        let busy: Double
        let steal: Double
    }

    private let loop: EventLoop
    private var seconds: [Second] = []
    private var last: [Int]?
    private var task: RepeatedTask?

    /// Samples on `loop` every second from `origin` (a `monotonicNanoseconds()` value, now or
    /// just past), for at most `LatencyBySecond.limit` seconds.
    init(loop: EventLoop, origin: UInt64) {
        self.loop = loop
        loop.execute {
            self.last = CostMeter.machineTicks()
            let first = NIODeadline.uptimeNanoseconds(origin) + .seconds(1) - .now()
            self.task = loop.scheduleRepeatedTask(initialDelay: max(.zero, first), delay: .seconds(1)) { task in
                guard self.seconds.count < LatencyBySecond.limit else { return task.cancel() }
                self.sample()
            }
        }
    }

    private func sample() {
        let now = CostMeter.machineTicks()
        defer { last = now }
        let shares = last.flatMap { CostMeter.shares(from: $0, to: now) }
        seconds.append(Second(busy: shares?.busy ?? 0, steal: shares?.steal ?? 0))
    }

    /// Stops sampling and returns what was sampled, one entry per whole second.
    func stop() async -> [Second] {
        (try? await loop.submit { () -> [Second] in
            self.task?.cancel()
            return self.seconds
        }.get()) ?? []
    }
}

/// Prints a scenario's table and JSON result (and writes the JSON to a file if asked).
enum BenchReport {
    static func emit(scenario: String, parameters: [String: Any], figures: [(String, String)], result: [String: Any], json file: String?) throws {
        print("conference-hub bench \(scenario)")
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) { print("  \(name): \(value)") }
        let width = figures.map(\.0.count).max() ?? 0
        for (name, value) in figures { print("  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value) }
        var object = result
        object["scenario"] = scenario
        object["parameters"] = parameters
        object["machine"] = ["cores": System.coreCount, "memory_bytes": Int(ProcessInfo.processInfo.physicalMemory)]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        let text = String(decoding: data, as: UTF8.self)
        print(text)
        if let file { try (text + "\n").write(toFile: file, atomically: true, encoding: .utf8) }
    }

    static func rate(_ value: Double) -> String { String(format: "%.0f/s", value) }
    static func milliseconds(_ summary: [String: Double]) -> String {
        String(format: "p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms",
               summary["p50_ms"] ?? 0, summary["p99_ms"] ?? 0, summary["p999_ms"] ?? 0, summary["max_ms"] ?? 0)
    }
}

/// Monotonic nanoseconds.
@inline(__always) func monotonicNanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// What a run cost: CPU of the server and of this load generator, and the server's writes to
/// storage, between `init` and `figures(per:)`. Shows what a figure is bounded by.
struct CostMeter {
    private let hub: BenchHub
    private let serverCPU: Double?
    private let ownCPU: Double?
    private let written: Int?
    private let machine: [Int]?
    /// Where the started hub's log stood when the measured part began.
    private let logOffset: UInt64?

    init(_ hub: BenchHub) {
        self.hub = hub
        serverCPU = hub.cpuSeconds()
        ownCPU = BenchHub.cpuSeconds(pid: getpid())
        written = hub.storageWriteBytes()
        machine = Self.machineTicks()
        logOffset = hub.logPath.flatMap { try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? UInt64 }
    }

    /// The slow commits the started hub logged since `init`: how many, the longest and their
    /// sum (ms). Nil for a hub given by options.
    func slowCommits() -> SlowCommits? {
        guard let path = hub.logPath, let offset = logOffset, let threshold = hub.slowCommitMs, threshold > 0,
              let file = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? file.close() }
        guard (try? file.seek(toOffset: offset)) != nil, let data = try? file.readToEnd() ?? Data() else { return nil }
        return SlowCommits(log: String(decoding: data, as: UTF8.self), threshold: threshold)
    }

    /// The machine's CPU time counters (the `cpu` line of /proc/stat: user, nice, system, idle,
    /// iowait, irq, softirq, steal, …).
    static func machineTicks() -> [Int]? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = stat.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Int($0) }
        return ticks.count >= 8 ? ticks : nil
    }

    /// The machine's busy and stolen shares (percent) between two readings of `machineTicks()`;
    /// nil when either is missing or no time passed.
    static func shares(from before: [Int], to after: [Int]?) -> (busy: Double, steal: Double)? {
        guard let after else { return nil }
        let delta = zip(before, after).map { $1 - $0 }
        let total = delta.reduce(0, +)
        guard total > 0 else { return nil }
        return (Double(total - delta[3] - delta[4]) / Double(total) * 100, Double(delta[7]) / Double(total) * 100)
    }

    /// Table rows and JSON fields per `count` operations called `unit`.
    func figures(per count: Int, unit: String, storage: Bool = false) -> (rows: [(String, String)], json: [String: Any]) {
        var rows: [(String, String)] = []
        var json: [String: Any] = [:]
        let server = zip(serverCPU, hub.cpuSeconds()).map { ($1 - $0) * 1e6 / Double(count) }
        let own = zip(ownCPU, BenchHub.cpuSeconds(pid: getpid())).map { ($1 - $0) * 1e6 / Double(count) }
        if let server, let own {
            rows.append(("CPU per \(unit)", String(format: "server %.1f µs, load generator %.1f µs", server, own)))
            json["server_cpu_us_per_\(unit)"] = server
            json["load_generator_cpu_us_per_\(unit)"] = own
        }
        // Time the hypervisor gave to others while the run wanted the CPU: a run with much of it
        // is not comparable with one without.
        if let before = machine, let (busy, steal) = Self.shares(from: before, to: Self.machineTicks()) {
            rows.append(("machine while running", String(format: "%.0f %% busy, %.1f %% stolen by the hypervisor", busy, steal)))
            json["machine_busy_percent"] = busy
            json["steal_percent"] = steal
        }
        if storage, let before = written, let after = hub.storageWriteBytes() {
            let bytes = Double(after - before) / Double(count)
            rows.append(("written to storage per \(unit)", String(format: "%.0f bytes (database, WAL, checkpoints)", bytes)))
            json["storage_bytes_per_\(unit)"] = bytes
        }
        return (rows, json)
    }
}

private func zip(_ first: Double?, _ second: Double?) -> (Double, Double)? {
    guard let first, let second else { return nil }
    return (first, second)
}
