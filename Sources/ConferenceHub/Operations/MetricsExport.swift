// MetricsExport: the Prometheus side of the hub's metrics — a registry of its own (not the
// process-wide default), the histogram buckets that suit the hub, and the text exposition with
// the gauges that are read rather than counted (rooms, open connections) brought up to date first.
import CoreMetrics
import Prometheus

/// The registry behind `/metrics`.
struct MetricsExport: Sendable {
    let registry = PrometheusCollectorRegistry()

    /// What the hub's metrics are made with.
    var factory: PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        // Commands and commits take milliseconds: finer buckets at the low end.
        let fast: [Duration] = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        factory.durationHistogramBuckets = [
            "conferencehub_command_duration_seconds": fast, "conferencehub_commit_duration_seconds": fast,
        ]
        factory.valueHistogramBuckets = ["conferencehub_commit_batch_size": [1, 2, 5, 10, 20, 50, 100, 200, 512]]
        return factory
    }

    /// The exposition, after `refresh` has set the gauges read at scrape time.
    func render(refresh: () -> Void) -> String {
        refresh()
        return registry.emitToString()
    }
}
