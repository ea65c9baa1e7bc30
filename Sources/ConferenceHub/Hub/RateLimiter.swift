// RateLimiter: a token bucket per connection. Pure: it is given the time.

/// Allows `rate` requests per second on average with bursts of up to `burst`.
struct TokenBucket {
    let rate: Double
    let burst: Double
    private var tokens: Double
    private var last: UInt64

    /// - Parameter now: monotonic nanoseconds.
    init(rate: Double, burst: Double, now: UInt64) {
        self.rate = rate
        self.burst = burst
        tokens = burst
        last = now
    }

    /// Takes `count` tokens (at most `burst`); nil when allowed, or the milliseconds until they
    /// are available.
    mutating func take(_ count: Double = 1, now: UInt64) -> Int? {
        let elapsed = Double(now &- last) / 1e9
        last = now
        tokens = min(burst, tokens + elapsed * rate)
        let needed = min(count, burst)
        if tokens >= needed {
            tokens -= needed
            return nil
        }
        return Int(((needed - tokens) / rate * 1000).rounded(.up))
    }
}
