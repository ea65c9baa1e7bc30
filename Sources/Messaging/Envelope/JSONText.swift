// JSONText: writes the JSON values the hub builds (strings, integers, booleans, null, arrays and
// objects) as the same bytes as `JSONSerialization` with `.sortedKeys, .withoutEscapingSlashes`,
// without its cost: Foundation sorts keys with a locale-aware ICU comparison for every pair.
// Keys made of lowercase ASCII letters, digits and `_` (all of the protocol's) are ordered the way
// that comparison orders them; any other key or value type (a Double, an NSNumber, uppercase)
// makes it give up, and the caller uses JSONSerialization.
import Foundation
import NIOCore

public enum JSONText {
    /// Appends `value` to `buffer`; false (with `buffer` partly written) when a key or value is
    /// outside what this writer handles.
    public static func write(_ value: Any, to buffer: inout ByteBuffer) -> Bool {
        // The exact types the hub builds first: comparing metadata is cheap, while a cast that
        // does not match outright (`as? String` on a dictionary, `as? [String: Any]` on a
        // `[String: String]`) walks the runtime's bridging paths, which on Linux cost more than
        // writing the value.
        let type = Swift.type(of: value)
        if type == String.self {
            Reply.writeJSONString(value as! String, to: &buffer)
            return true
        }
        if type == [String: Any].self { return writeObject(value as! [String: Any], to: &buffer) }
        if type == [String: String].self { return writeObject(value as! [String: String], to: &buffer) }
        if type == [Any].self { return writeArray(value as! [Any], to: &buffer) }
        if type == [[String: Any]].self { return writeArray(value as! [[String: Any]], to: &buffer) }
        if type == [[String: String]].self { return writeArray(value as! [[String: String]], to: &buffer) }
        if type == [String].self { return writeArray(value as! [String], to: &buffer) }
        if type == Bool.self {
            buffer.writeStaticString((value as! Bool) ? "true" : "false")
            return true
        }
        if type == Int.self { return writeInteger(value as! Int, to: &buffer) }
        if type == Int64.self { return writeInteger(Int(value as! Int64), to: &buffer) }
        if type == Int32.self { return writeInteger(Int(value as! Int32), to: &buffer) }
        if value is NSNull {
            buffer.writeStaticString("null")
            return true
        }
        // Anything else that casts (an NSString, a dictionary or array of other element types).
        if let text = value as? String {
            Reply.writeJSONString(text, to: &buffer)
            return true
        }
        if let object = value as? [String: Any] { return writeObject(object, to: &buffer) }
        if let array = value as? [Any] { return writeArray(array, to: &buffer) }
        return false
    }

    private static func writeObject<Value>(_ object: [String: Value], to buffer: inout ByteBuffer) -> Bool {
        var keys: [String] = []
        keys.reserveCapacity(object.count)
        for key in object.keys {
            guard isPlainKey(key) else { return false }
            keys.append(key)
        }
        keys.sort(by: keyPrecedes)
        buffer.writeInteger(UInt8(ascii: "{"))
        for (index, key) in keys.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            Reply.writeJSONString(key, to: &buffer)
            buffer.writeInteger(UInt8(ascii: ":"))
            guard write(object[key]!, to: &buffer) else { return false }
        }
        buffer.writeInteger(UInt8(ascii: "}"))
        return true
    }

    private static func writeArray<Element>(_ array: [Element], to buffer: inout ByteBuffer) -> Bool {
        buffer.writeInteger(UInt8(ascii: "["))
        for (index, element) in array.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            guard write(element, to: &buffer) else { return false }
        }
        buffer.writeInteger(UInt8(ascii: "]"))
        return true
    }

    private static func writeInteger(_ value: Int, to buffer: inout ByteBuffer) -> Bool {
        buffer.writeString(String(value))
        return true
    }

    /// Lowercase ASCII letters, digits and `_`, not empty.
    static func isPlainKey(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
        }
    }

    /// Foundation's key order (`compare` with `.numeric, .caseInsensitive, .forcedOrdering` in
    /// the root locale) for plain keys: `_` before digits before letters, runs of digits by their
    /// value, a prefix first; runs equal in value but not in spelling ("1", "01") are told apart
    /// last, the shorter first.
    static func keyPrecedes(_ first: String, _ second: String) -> Bool {
        let a = Array(first.utf8), b = Array(second.utf8)
        var i = 0, j = 0
        var tie = 0  // < 0: `first` first if nothing else differs.
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        func rank(_ byte: UInt8) -> Int { byte == UInt8(ascii: "_") ? 0 : isDigit(byte) ? 1 : 2 }
        while i < a.count, j < b.count {
            if isDigit(a[i]), isDigit(b[j]) {
                var endA = i, endB = j
                while endA < a.count, isDigit(a[endA]) { endA += 1 }
                while endB < b.count, isDigit(b[endB]) { endB += 1 }
                var startA = i, startB = j
                while startA < endA - 1, a[startA] == UInt8(ascii: "0") { startA += 1 }
                while startB < endB - 1, b[startB] == UInt8(ascii: "0") { startB += 1 }
                let lengthA = endA - startA, lengthB = endB - startB
                if lengthA != lengthB { return lengthA < lengthB }
                for k in 0..<lengthA where a[startA + k] != b[startB + k] { return a[startA + k] < b[startB + k] }
                if tie == 0, endA - i != endB - j { tie = (endA - i) < (endB - j) ? -1 : 1 }
                i = endA
                j = endB
                continue
            }
            if a[i] != b[j] {
                let rankA = rank(a[i]), rankB = rank(b[j])
                return rankA != rankB ? rankA < rankB : a[i] < b[j]
            }
            i += 1
            j += 1
        }
        if i < a.count || j < b.count { return i == a.count }
        return tie < 0
    }
}
