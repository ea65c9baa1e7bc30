// ConsoleAssets: the browser console's files (plain ES modules, CSS, one HTML page), embedded in
// the binary so that one binary deploys the whole product and nothing is fetched from elsewhere.
// Each is served with its type and a strong ETag (a hash of its bytes).
import CaseCore
import Foundation

struct ConsoleAsset: Sendable {
    /// Path under `/console/` (`main.js`, `i18n/zh-CN.js`), or `index.html`.
    let path: String
    let contentType: String
    let bytes: [UInt8]
    /// `"<first 16 bytes of SHA-256 in hex>"`, quoted as HTTP wants it.
    let etag: String
}

enum ConsoleAssets {
    /// Every asset by path.
    static let byPath: [String: ConsoleAsset] = Dictionary(uniqueKeysWithValues: ConsoleAssetFiles.files.map { file in
        let bytes = Array(file.text.utf8)
        let digest = EventChain.sha256(bytes).prefix(16).map { String(format: "%02x", $0) }.joined()
        return (file.path, ConsoleAsset(path: file.path, contentType: contentType(of: file.path), bytes: bytes, etag: "\"\(digest)\""))
    })

    /// All assets together, in bytes before compression.
    static var totalBytes: Int { byPath.values.reduce(0) { $0 + $1.bytes.count } }

    static func contentType(of path: String) -> String {
        switch (path as NSString).pathExtension {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "json": "application/json; charset=utf-8"
        case "txt": "text/plain; charset=utf-8"
        default: "application/octet-stream"
        }
    }
}
