// LogText: text that came from the network, made safe for a log line. A peer chooses its close
// reason (up to 123 bytes); written as it is, a newline in it would forge a log line of its own
// and a bidirectional override would disguise the rest of the line.
public enum LogText {
    /// `text` with control, format (bidi overrides, zero-width) and line or paragraph separator
    /// characters written as `\u{…}` escapes, cut to `limit` characters.
    public static func escaped(_ text: String, limit: Int = 200) -> String {
        var result = ""
        var count = 0
        for scalar in text.unicodeScalars {
            guard count < limit else {
                result += "…"
                break
            }
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned:
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            default:
                result.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return result
    }
}
