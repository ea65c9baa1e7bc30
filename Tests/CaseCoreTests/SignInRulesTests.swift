// SignInRulesTests: passwords as scrypt hashes, what a chosen password must be, and the throttle
// on failed sign-ins — decided without a store or a socket.
import XCTest

@testable import CaseCore

final class SignInRulesTests: XCTestCase {
    /// Cheap parameters: the tests check behaviour, not cost.
    private let cheap = ScryptParameters(costLog2: 10, blockSize: 8, parallelism: 1)

    func testAHashVerifiesOnlyItsPasswordAndSaltsEachOne() throws {
        let first = try PasswordHash.make("correct horse 电池", parameters: cheap)
        XCTAssertTrue(first.verifies("correct horse 电池"))
        XCTAssertFalse(first.verifies("correct horse 电"))
        XCTAssertFalse(first.verifies(""))
        let second = try PasswordHash.make("correct horse 电池", parameters: cheap)
        XCTAssertNotEqual(first.salt, second.salt)
        XCTAssertNotEqual(first.hash, second.hash)
        XCTAssertEqual(first.hash.count, 32)
    }

    func testScryptMatchesRFC7914() throws {
        // RFC 7914 §12, second vector: "password", salt "NaCl", N=1024, r=8, p=16, 64 bytes; our
        // key is the first 32 of them.
        let parameters = ScryptParameters(costLog2: 10, blockSize: 8, parallelism: 16)
        let key = try PasswordHash.derive("password", salt: Array("NaCl".utf8), parameters: parameters)
        XCTAssertEqual(key.map { String(format: "%02x", $0) }.joined(),
                       "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162")
    }

    func testUnreasonableStoredParametersNeverVerify() throws {
        let hash = try PasswordHash.make("a long enough one", parameters: cheap)
        let damaged = PasswordHash(hash: hash.hash, salt: hash.salt, parameters: ScryptParameters(costLog2: 30, blockSize: 8, parallelism: 1))
        XCTAssertFalse(damaged.verifies("a long enough one"))
        XCTAssertEqual(ScryptParameters.standard.memoryBytes, 32 << 20)
    }

    func testPasswordRules() {
        XCTAssertEqual(PasswordRules.problem(with: "short1", person: "p-li", previous: nil), .tooShort)
        XCTAssertEqual(PasswordRules.problem(with: "aaaaaaaaaaaa", person: "p-li", previous: nil), .tooFewDistinct)
        XCTAssertEqual(PasswordRules.problem(with: "my-p-li-password", person: "p-li", previous: nil), .containsID)
        XCTAssertEqual(PasswordRules.problem(with: "same as before!", person: "p-li", previous: "same as before!"), .unchanged)
        XCTAssertEqual(PasswordRules.problem(with: String(repeating: "ab", count: 200), person: "p-li", previous: nil), .tooLong)
        XCTAssertNil(PasswordRules.problem(with: "信访联席会议2026", person: "p-li", previous: nil))
        let initial = PasswordRules.makeInitial()
        XCTAssertEqual(initial.count, 14)
        XCTAssertFalse(initial.contains { "0O1lI".contains($0) })
        XCTAssertNotEqual(initial, PasswordRules.makeInitial())
    }

    private func at(_ seconds: Int64) -> Timestamp { Timestamp(milliseconds: 1_800_000_000_000 + seconds * 1000) }

    func testAPersonIsLockedAfterFiveFailuresForLongerEachTime() {
        var throttle = SignInThrottle()
        for second in 0..<5 {
            XCTAssertEqual(throttle.decision(person: "p", address: "a", at: at(Int64(second))), .allowed, "attempt \(second + 1) is checked")
            throttle.failed(person: "p", address: "a", at: at(Int64(second)))
        }
        // Exactly at the documented count: after 5 failures the 6th attempt is refused unchecked.
        XCTAssertEqual(throttle.decision(person: "p", address: "a", at: at(5)), .locked(retryAfterSeconds: 59))
        XCTAssertEqual(throttle.decision(person: "p", address: "other", at: at(5)), .locked(retryAfterSeconds: 59), "from anywhere")
        XCTAssertEqual(throttle.decision(person: "q", address: "a", at: at(5)), .allowed, "others are not locked")
        XCTAssertEqual(throttle.decision(person: "p", address: "a", at: at(64)), .allowed, "a minute after the 5th failure")
        throttle.failed(person: "p", address: "a", at: at(64))
        XCTAssertEqual(throttle.decision(person: "p", address: "a", at: at(64)), .locked(retryAfterSeconds: 120), "twice as long")
        for step in 0..<10 { throttle.failed(person: "p", address: "a", at: at(200 + Int64(step))) }
        XCTAssertEqual(throttle.decision(person: "p", address: "a", at: at(209)), .locked(retryAfterSeconds: 900), "at most 15 minutes")
        throttle.succeeded(person: "p")
        XCTAssertEqual(throttle.decision(person: "p", address: "b", at: at(210)), .allowed, "a success clears the person")
    }

    func testAPersonIdWithAControlCharacterIsRefusedBeforeAnyLookup() {
        XCTAssertNil(SignInIdentifier.problem(with: "h-officer"))
        XCTAssertNil(SignInIdentifier.problem(with: "住建局-张伟"))
        for bad in ["h-officer\u{0}", "\u{0}h-officer", "h-off\u{7}icer", "h-officer\n", "h-officer\u{200B}", "h-officer\u{202E}", "", String(repeating: "a", count: 65)] {
            XCTAssertNotNil(SignInIdentifier.problem(with: bad), bad.debugDescription)
        }
    }

    func testFailuresOutsideTheWindowAreForgotten() {
        var throttle = SignInThrottle()
        for second in 0..<5 { throttle.failed(person: "p", address: "a", at: at(Int64(second))) }
        throttle.failed(person: "p", address: "a", at: at(16 * 60))
        XCTAssertEqual(throttle.decision(person: "p", address: "a", at: at(16 * 60)), .allowed)
    }

    func testAnAddressTryingManyPeopleIsLocked() {
        var throttle = SignInThrottle()
        for index in 0..<29 { throttle.failed(person: "p\(index)", address: "10.0.0.9", at: at(Int64(index))) }
        XCTAssertEqual(throttle.decision(person: "new", address: "10.0.0.9", at: at(30)), .allowed)
        throttle.failed(person: "p29", address: "10.0.0.9", at: at(30))
        XCTAssertEqual(throttle.decision(person: "new", address: "10.0.0.9", at: at(31)), .locked(retryAfterSeconds: 899))
        XCTAssertEqual(throttle.decision(person: "new", address: "10.0.0.10", at: at(31)), .allowed)
    }

    func testMemoryIsBounded() {
        var policy = SignInThrottle.Policy()
        policy.capacity = 100
        var throttle = SignInThrottle(policy: policy)
        for index in 0..<1_000 { throttle.failed(person: "p\(index)", address: "a\(index)", at: at(Int64(index))) }
        XCTAssertLessThanOrEqual(throttle.rememberedCount, 202)
    }
}
