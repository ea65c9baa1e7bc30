// ConcurrentChunks: a map whose work is split over the machine's cores when there is enough of it
// (decoding a page of stored cases, writing a page of whole cases). Order is kept.
import Foundation

public enum ConcurrentChunks {
    /// At least this many elements to a chunk: below it, splitting costs more than it saves.
    public static let minimumChunk = 16

    /// `transform` applied to consecutive slices of `items`, concurrently, the results joined in
    /// the order of `items`. One slice (run here) when `items` is small or there is one core.
    public static func map<Element: Sendable, Result: Sendable>(
        _ items: [Element], cores: Int = ProcessInfo.processInfo.activeProcessorCount,
        _ transform: @escaping @Sendable (ArraySlice<Element>) throws -> [Result]
    ) async throws -> [Result] {
        let chunks = max(1, min(cores, items.count / minimumChunk))
        guard chunks > 1 else { return try transform(items[...]) }
        let size = (items.count + chunks - 1) / chunks
        return try await withThrowingTaskGroup(of: (Int, [Result]).self) { group in
            for chunk in 0..<chunks {
                let slice = items[(chunk * size)..<min(items.count, (chunk + 1) * size)]
                group.addTask { (chunk, try transform(slice)) }
            }
            var parts = [[Result]](repeating: [], count: chunks)
            for try await (chunk, part) in group { parts[chunk] = part }
            return parts.flatMap { $0 }
        }
    }
}
