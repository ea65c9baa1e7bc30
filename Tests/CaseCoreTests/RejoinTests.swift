// RejoinTests: the rejoin rule — recovered with the events to replay, or a fresh start with the
// reason — without sockets.
import CaseCore
import XCTest

final class RejoinTests: XCTestCase {
    private func decide(_ lastSequence: Int64?, epoch: String? = "e1", roomEpoch: String? = "e1", current: Int64 = 40, maxReplay: Int = 10) -> Rejoin {
        Rejoin.decide(lastSequence: lastSequence, epoch: epoch, roomEpoch: roomEpoch, current: current, maxReplay: maxReplay)
    }

    func testAClientThatGivesNoPositionStartsFresh() {
        XCTAssertEqual(decide(nil), .fresh(.noLastSeq))
        XCTAssertEqual(decide(nil, epoch: "other"), .fresh(.noLastSeq))
    }

    func testAClientWithinReachIsReplayedExactlyWhatItMissed() {
        XCTAssertEqual(decide(35), .recovered(after: 35, through: 40))
        XCTAssertEqual(decide(40), .recovered(after: 40, through: 40), "up to date: nothing to replay, still recovered")
        XCTAssertEqual(decide(30), .recovered(after: 30, through: 40), "exactly maxReplay behind")
        XCTAssertEqual(decide(0, current: 0), .recovered(after: 0, through: 0))
        XCTAssertEqual(decide(35, epoch: nil), .recovered(after: 35, through: 40), "no epoch given: the position alone counts")
    }

    func testAChangedEpochIsNeverRecovered() {
        XCTAssertEqual(decide(35, epoch: "before-restore"), .fresh(.epochChanged))
        XCTAssertEqual(decide(35, epoch: "e1", roomEpoch: nil, current: 0), .fresh(.epochChanged), "a room never written has no epoch")
    }

    func testAClientAheadOfTheRoomStartsFresh() {
        XCTAssertEqual(decide(41), .fresh(.aheadOfRoom))
    }

    func testAClientTooFarBehindStartsFresh() {
        XCTAssertEqual(decide(29), .fresh(.tooFarBehind))
    }

    func testTheEpochIsCheckedBeforeThePosition() {
        XCTAssertEqual(decide(100, epoch: "other"), .fresh(.epochChanged))
        XCTAssertEqual(decide(1, epoch: "other"), .fresh(.epochChanged))
    }
}
