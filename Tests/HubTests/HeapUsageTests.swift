// HeapUsageTests: the live-memory gauge reads glibc's totals right, and follows an allocation.
import Foundation
import XCTest

@testable import ConferenceHub

final class HeapUsageTests: XCTestCase {
    func testInUseIsTheArenasLessTheirFreeChunksPlusMappedBlocks() {
        let xml = """
            <malloc version="1">
            <heap nr="0"><total type="fast" count="1" size="64"/><total type="rest" count="2" size="1000"/>
            <system type="current" size="9000"/></heap>
            <total type="fast" count="3" size="96"/>
            <total type="rest" count="4" size="50288"/>
            <total type="mmap" count="1" size="1052672"/>
            <system type="current" size="135168"/>
            <system type="max" size="135168"/>
            </malloc>
            """
        XCTAssertEqual(HeapUsage.inUse(fromMallocInfo: xml), 135_168 - 96 - 50_288 + 1_052_672, "the totals after the last heap")
        XCTAssertNil(HeapUsage.inUse(fromMallocInfo: "<malloc/>"))
    }

    func testAnAllocationShowsAndItsFreeingToo() throws {
        let before = try XCTUnwrap(HeapUsage.inUseBytes())
        let size = 64 << 20
        let block = try XCTUnwrap(malloc(size))
        memset(block, 1, size)
        let during = try XCTUnwrap(HeapUsage.inUseBytes())
        free(block)
        let after = try XCTUnwrap(HeapUsage.inUseBytes())
        XCTAssertGreaterThanOrEqual(during - before, size - (8 << 20), "64 MiB held (other threads may free a few MiB meanwhile)")
        XCTAssertLessThan(after, during - (size - (8 << 20)), "and given back")
    }
}
