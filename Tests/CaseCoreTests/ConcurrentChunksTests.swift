// ConcurrentChunksTests: the chunked map keeps the order of its input at every size and number of
// cores, splits only when there is enough work, and passes a failure on.
import XCTest

@testable import CaseCore

final class ConcurrentChunksTests: XCTestCase {
    func testTheOrderIsKeptAtEverySize() async throws {
        for count in [0, 1, 15, 16, 31, 32, 33, 100, 101, 257] {
            let items = Array(0..<count)
            for cores in [1, 2, 3, 8] {
                let mapped = try await ConcurrentChunks.map(items, cores: cores) { chunk in chunk.map { $0 * 2 } }
                XCTAssertEqual(mapped, items.map { $0 * 2 }, "\(count) items, \(cores) cores")
            }
        }
    }

    func testItSplitsOnlyWhenEachChunkHasEnoughWork() async throws {
        func chunkSizes(_ count: Int, cores: Int) async throws -> [Int] {
            try await ConcurrentChunks.map(Array(0..<count), cores: cores) { chunk in [chunk.count] }
        }
        let below = try await chunkSizes(2 * ConcurrentChunks.minimumChunk - 1, cores: 2)
        XCTAssertEqual(below, [2 * ConcurrentChunks.minimumChunk - 1])
        let page = try await chunkSizes(101, cores: 2)
        XCTAssertEqual(page, [51, 50])
        let three = try await chunkSizes(100, cores: 3)
        XCTAssertEqual(three, [34, 34, 32])
        let one = try await chunkSizes(100, cores: 1)
        XCTAssertEqual(one, [100])
    }

    func testAFailureInAnyChunkIsThrown() async {
        struct Bad: Error, Equatable { let item: Int }
        do {
            _ = try await ConcurrentChunks.map(Array(0..<100), cores: 2) { chunk in
                try chunk.map { item in
                    if item == 77 { throw Bad(item: item) }
                    return item
                }
            }
            XCTFail("the failure was not thrown")
        } catch {
            XCTAssertEqual(error as? Bad, Bad(item: 77))
        }
    }
}
