// ProtocolDoc: the examples of docs/protocol.md — each JSON block after a `<!-- request -->`,
// `<!-- reply -->` or `<!-- event -->` marker — for the tests that check them.
import Foundation

enum ProtocolDoc {
    struct Example {
        let kind: String
        let json: String
        let line: Int
    }

    static func examples() throws -> (text: String, examples: [Example]) {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/protocol.md").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.components(separatedBy: "\n")
        var found: [Example] = []
        var index = 0
        while index < lines.count {
            let line = lines[index].trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("<!-- "), line.hasSuffix(" -->"), index + 1 < lines.count, lines[index + 1].hasPrefix("```json") {
                let kind = String(line.dropFirst(5).dropLast(4))
                var body: [String] = []
                var cursor = index + 2
                while cursor < lines.count, !lines[cursor].hasPrefix("```") {
                    body.append(lines[cursor])
                    cursor += 1
                }
                found.append(Example(kind: kind, json: body.joined(separator: "\n"), line: index + 1))
                index = cursor
            }
            index += 1
        }
        return (text, found)
    }
}
