// HeapUsage: the bytes the process's allocator has handed out and not had back — live memory, as
// opposed to RSS, which also counts what freed memory glibc keeps for reuse. Read from glibc's
// malloc_info (looked up at run time: Swift's Glibc module does not export malloc.h), whose XML
// totals give the arenas' memory, the free chunks in them and the memory mapped for large blocks.
// Exported as conferencehub_heap_in_use_bytes; the console's memory figure is measured with it.
import Foundation
import Glibc

enum HeapUsage {
    private typealias MallocInfo = @convention(c) (Int32, UnsafeMutablePointer<FILE>?) -> Int32

    private static let mallocInfo: MallocInfo? = dlsym(nil, "malloc_info").map { unsafeBitCast($0, to: MallocInfo.self) }

    /// Bytes in use now, or nil where the allocator cannot say (not glibc).
    static func inUseBytes() -> Int? {
        guard let mallocInfo else { return nil }
        var buffer: UnsafeMutablePointer<CChar>?
        var size = 0
        guard let stream = open_memstream(&buffer, &size) else { return nil }
        let status = mallocInfo(0, stream)
        fclose(stream)
        defer { free(buffer) }
        guard status == 0, let buffer else { return nil }
        return inUse(fromMallocInfo: String(cString: buffer))
    }

    /// In use = the arenas' memory − their free chunks (fast and other bins, the top included) +
    /// blocks mapped on their own. The totals are the elements after the last `</heap>`.
    static func inUse(fromMallocInfo xml: String) -> Int? {
        let totals = xml.range(of: "</heap>", options: .backwards).map { String(xml[$0.upperBound...]) } ?? xml
        func value(_ element: String, _ type: String) -> Int? {
            guard let start = totals.range(of: "<\(element) type=\"\(type)\""),
                let sizeStart = totals.range(of: "size=\"", range: start.upperBound..<totals.endIndex),
                let sizeEnd = totals.range(of: "\"", range: sizeStart.upperBound..<totals.endIndex)
            else { return nil }
            return Int(totals[sizeStart.upperBound..<sizeEnd.lowerBound])
        }
        guard let current = value("system", "current"), let fast = value("total", "fast"), let rest = value("total", "rest") else { return nil }
        return current - fast - rest + (value("total", "mmap") ?? 0)
    }
}
