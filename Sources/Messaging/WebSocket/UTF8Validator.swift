// UTF8Validator: incremental UTF-8 validation, so a text message split across fragments fails as
// soon as an invalid byte arrives (RFC 6455 §8.1) instead of after the whole message is buffered.

/// Validates UTF-8 a chunk at a time. Rejects overlong forms, surrogates and code points past U+10FFFF.
public struct UTF8Validator: Sendable {
    /// Continuation bytes still owed by the current sequence.
    private var needed = 0
    /// Allowed range of the next continuation byte (narrowed after E0, ED, F0, F4).
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    public init() {}

    /// True when no multi-byte sequence is left open.
    public var isAtBoundary: Bool { needed == 0 }

    /// Feeds `bytes`; false as soon as they cannot be part of valid UTF-8.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
        if let result = bytes.withContiguousStorageIfAvailable({ feed(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        for byte in bytes where !feed(byte) { return false }
        return true
    }

    /// Feeds contiguous bytes, eight at a time while they are ASCII (the common case for JSON).
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = bytes.count
        while index < count {
            if needed == 0 {
                while index + 8 <= count,
                      bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                    index += 8
                }
                guard index < count else { break }
            }
            guard feed(bytes[index]) else { return false }
            index += 1
        }
        return true
    }

    private mutating func feed(_ byte: UInt8) -> Bool {
        if needed == 0 {
            switch byte {
            case 0x00...0x7F: return true
            case 0xC2...0xDF: needed = 1
            case 0xE0: needed = 2; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: needed = 2
            case 0xED: needed = 2; upper = 0x9F
            case 0xF0: needed = 3; lower = 0x90
            case 0xF1...0xF3: needed = 3
            case 0xF4: needed = 3; upper = 0x8F
            default: return false
            }
        } else {
            guard byte >= lower, byte <= upper else { return false }
            lower = 0x80
            upper = 0xBF
            needed -= 1
        }
        return true
    }

    /// Whether `bytes` is complete, valid UTF-8.
    public static func isValid<Bytes: Sequence>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
        var validator = UTF8Validator()
        return validator.feed(bytes) && validator.isAtBoundary
    }
}
