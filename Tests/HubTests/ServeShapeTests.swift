// ServeShapeTests: `serve` stays readable — no function in Sources/ConferenceHub/Serve/ is longer
// than 100 lines (a function's lines from its `func` to its closing brace).
import Foundation
import XCTest

final class ServeShapeTests: XCTestCase {
    func testNoFunctionInServeIsLongerThan100Lines() throws {
        let folder = URL(fileURLWithPath: repositoryFile("Sources/ConferenceHub/Serve"))
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil).filter { $0.pathExtension == "swift" }
        XCTAssertGreaterThan(files.count, 3)
        let declaration = try NSRegularExpression(pattern: #"^\s*(?:@\w+\s+)*(?:(?:public|private|fileprivate|internal|static|mutating|override)\s+)*func\s+(\w+)"#)
        var measured = 0
        for file in files {
            let lines = try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n")
            for (index, line) in lines.enumerated() {
                guard let match = declaration.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) else { continue }
                let name = String(line[Range(match.range(at: 1), in: line)!])
                // Count braces (outside string literals, roughly: quotes toggle) until they balance.
                var depth = 0, opened = false, end = index
                scan: for (offset, text) in lines[index...].enumerated() {
                    var inString = false
                    for character in text {
                        if character == "\"" { inString.toggle() }
                        if inString { continue }
                        if character == "{" { depth += 1; opened = true }
                        if character == "}" { depth -= 1 }
                    }
                    if opened && depth <= 0 { end = index + offset; break scan }
                }
                guard opened else { continue }  // a requirement without a body
                measured += 1
                XCTAssertLessThanOrEqual(end - index + 1, 100, "\(file.lastPathComponent): \(name) is \(end - index + 1) lines")
            }
        }
        XCTAssertGreaterThan(measured, 10)
    }
}
