// DeadlineTests: calendar and working-day limits across month ends, leap years and holidays, and
// the warning thresholds.
import Foundation
import XCTest

@testable import CaseCore

final class DeadlineTests: XCTestCase {
    private func day(_ text: String) -> LocalDate { LocalDate(text)! }

    func testLocalDateArithmeticAcrossMonthEndsAndLeapYears() {
        XCTAssertEqual(day("2024-02-28").adding(days: 1), day("2024-02-29"))
        XCTAssertEqual(day("2025-02-28").adding(days: 1), day("2025-03-01"))
        XCTAssertEqual(day("2023-12-31").adding(days: 1), day("2024-01-01"))
        XCTAssertEqual(day("2024-01-31").adding(days: 30), day("2024-03-01"))
        XCTAssertEqual(day("2100-02-28").adding(days: 1), day("2100-03-01"), "2100 is not a leap year")
        XCTAssertEqual(day("2000-02-28").adding(days: 1), day("2000-02-29"), "2000 is")
        XCTAssertNil(LocalDate("2025-02-29"))
        XCTAssertNil(LocalDate("2025-13-01"))
        XCTAssertEqual(day("1970-01-01").dayNumber, 0)
        XCTAssertEqual(day("1970-01-01").isoWeekday, 4, "a Thursday")
        XCTAssertEqual(day("2026-11-22").isoWeekday, 7, "a Sunday")
        for number in stride(from: -800_000, to: 800_000, by: 997) {
            XCTAssertEqual(LocalDate(dayNumber: number).dayNumber, number)
        }
    }

    func testCalendarDayLimitCountsFromTheNextDayAndMovesOffNonWorkingDays() {
        let calendar = WorkingCalendar.weekendsOnly
        // Received Monday 2026-11-02: 15 days → Tuesday 2026-11-17.
        XCTAssertEqual(calendar.calendarDeadline(from: day("2026-11-02"), days: 15), day("2026-11-17"))
        // Received Wednesday 2026-11-04: 10 days → Saturday 14th → moves to Monday 16th.
        XCTAssertEqual(calendar.calendarDeadline(from: day("2026-11-04"), days: 10), day("2026-11-16"))
        // Across February in a leap year: 2028-01-31 + 30 days = 2028-03-01 (a Wednesday).
        XCTAssertEqual(calendar.calendarDeadline(from: day("2028-01-31"), days: 30), day("2028-03-01"))
    }

    func testHolidayMovesCalendarDeadlineAndAdjustedWorkdayCounts() throws {
        let calendar = try WorkingCalendar(parsing: """
            # National Day 2026
            2026-10-01 holiday
            2026-10-02 holiday
            2026-10-05 holiday
            2026-10-06 holiday
            2026-10-07 holiday
            2026-10-08 holiday
            2026-10-10 workday   # adjusted working Saturday
            """)
        // 15 days from 2026-09-16 is 2026-10-01 (holiday): moves past the holiday week to Friday 10-09.
        XCTAssertEqual(calendar.calendarDeadline(from: day("2026-09-16"), days: 15), day("2026-10-09"))
        // 5 working days from Tuesday 09-29: 09-30, 10-09, 10-10 (adjusted Saturday), 10-12, 10-13.
        XCTAssertEqual(calendar.workingDayDeadline(from: day("2026-09-29"), days: 5), day("2026-10-13"))
        XCTAssertTrue(calendar.isWorkingDay(day("2026-10-10")))
        XCTAssertFalse(calendar.isWorkingDay(day("2026-10-01")))
    }

    func testWorkingDaysSkipWeekends() {
        let calendar = WorkingCalendar.weekendsOnly
        // Thursday 2026-11-19 + 5 working days = Thursday 26th.
        XCTAssertEqual(calendar.workingDayDeadline(from: day("2026-11-19"), days: 5), day("2026-11-26"))
        // Saturday start: counting begins Monday.
        XCTAssertEqual(calendar.workingDayDeadline(from: day("2026-11-21"), days: 1), day("2026-11-23"))
    }

    func testWorkingDaysLeftCountTodayAndTheLastDayButNoWeekend() {
        let calendar = WorkingCalendar.weekendsOnly
        // Thursday 19th to Thursday 26th: Thu, Fri, Mon, Tue, Wed, Thu.
        XCTAssertEqual(calendar.workingDays(from: day("2026-11-19"), through: day("2026-11-26")), 6)
        XCTAssertEqual(calendar.workingDays(from: day("2026-11-21"), through: day("2026-11-23")), 1, "a weekend, then Monday")
        XCTAssertEqual(calendar.workingDays(from: day("2026-11-26"), through: day("2026-11-26")), 1, "the last day itself")
        XCTAssertEqual(calendar.workingDays(from: day("2026-11-27"), through: day("2026-11-26")), 0, "passed")
    }

    func testCalendarFileErrorsNameTheLine() {
        XCTAssertThrowsError(try WorkingCalendar(parsing: "2026-10-01 holiday\n2026-13-01 holiday\n")) { error in
            XCTAssertEqual((error as? WorkingCalendar.ParseError)?.line, 2)
        }
        XCTAssertThrowsError(try WorkingCalendar(parsing: "2026-10-01 vacation\n"))
        XCTAssertThrowsError(try WorkingCalendar(parsing: "2026-10-01 holiday\n2026-10-01 workday\n"))
    }

    func testDeadlinePolicyUsesConferenceTimeZone() {
        let policy = DeadlinePolicy(timeZone: .chinaStandardTime)
        // 2026-11-01T17:00Z is already 2026-11-02 01:00 in Beijing (a Monday).
        let start = Timestamp(ISO8601DateFormatter().date(from: "2026-11-01T17:00:00Z")!)
        let transfer = policy.deadline(.transfer, from: start)
        XCTAssertEqual(transfer.due, day("2026-11-17"))
        XCTAssertEqual(transfer.dueAt, Timestamp(ISO8601DateFormatter().date(from: "2026-11-17T16:00:00Z")!), "midnight Beijing")
    }

    func testNegotiationNeverEndsAfterTheAcceptanceNoticeLimit() {
        var limits = TimeLimits()
        limits.negotiationWorkingDays = 30
        let policy = DeadlinePolicy(limits: limits, timeZone: .utc)
        let start = Timestamp(ISO8601DateFormatter().date(from: "2026-11-02T09:00:00Z")!)
        XCTAssertEqual(policy.deadline(.negotiation, from: start).due, policy.deadline(.acceptanceNotice, from: start).due)
    }

    func testWarningLevelsAtFiftySeventyFiveEightyFiveNinetyNineAndOverdue() {
        let start = Timestamp(milliseconds: 0)
        let deadline = Deadline(kind: .handling, startedAt: start, due: day("1970-01-11"), dueAt: Timestamp(milliseconds: 1_000_000))
        XCTAssertNil(DeadlineMonitor.level(of: deadline, at: Timestamp(milliseconds: 499_999)))
        XCTAssertEqual(DeadlineMonitor.level(of: deadline, at: Timestamp(milliseconds: 500_000)), .half)
        XCTAssertEqual(DeadlineMonitor.level(of: deadline, at: Timestamp(milliseconds: 750_000)), .threeQuarters)
        XCTAssertEqual(DeadlineMonitor.level(of: deadline, at: Timestamp(milliseconds: 850_000)), .eightyFive)
        XCTAssertEqual(DeadlineMonitor.level(of: deadline, at: Timestamp(milliseconds: 990_000)), .ninetyNine)
        XCTAssertEqual(DeadlineMonitor.level(of: deadline, at: Timestamp(milliseconds: 1_000_000)), .overdue)
        var met = deadline
        met.metAt = Timestamp(milliseconds: 900_000)
        XCTAssertNil(DeadlineMonitor.level(of: met, at: Timestamp(milliseconds: 2_000_000)), "a met deadline never warns")
    }

    func testCrossingsReportEachLevelOnceEvenAfterAGap() {
        let deadline = Deadline(kind: .handling, startedAt: Timestamp(milliseconds: 0), due: day("1970-01-11"), dueAt: Timestamp(milliseconds: 1_000_000))
        let id = CaseID(1)
        let first = DeadlineMonitor.crossings(in: [TrackedDeadline(caseID: id, deadline: deadline, reported: nil)], at: Timestamp(milliseconds: 800_000))
        XCTAssertEqual(first.map(\.level), [.half, .threeQuarters])
        let again = DeadlineMonitor.crossings(in: [TrackedDeadline(caseID: id, deadline: deadline, reported: .threeQuarters)], at: Timestamp(milliseconds: 800_000))
        XCTAssertTrue(again.isEmpty, "never repeated")
        let later = DeadlineMonitor.crossings(in: [TrackedDeadline(caseID: id, deadline: deadline, reported: .threeQuarters)], at: Timestamp(milliseconds: 1_500_000))
        XCTAssertEqual(later.map(\.level), [.eightyFive, .ninetyNine, .overdue], "a restart after a gap loses none")
    }
}

final class TimeLimitsTests: XCTestCase {
    func testLegalDefaults() {
        let limits = TimeLimits.legal
        XCTAssertEqual(limits.transferDays, 15)
        XCTAssertEqual(limits.acceptanceNoticeDays, 15)
        XCTAssertEqual(limits.objectionWorkingDays, 5)
        XCTAssertEqual(limits.negotiationWorkingDays, 5)
        XCTAssertEqual(limits.handlingDays, 60)
        XCTAssertEqual(limits.maxExtensionDays, 30)
        XCTAssertEqual([limits.reviewRequestDays, limits.reviewAnswerDays, limits.reReviewRequestDays, limits.reReviewAnswerDays], [30, 30, 30, 30])
    }

    func testFileOverridesNamedSettingsOnly() throws {
        let limits = try TimeLimits.load(json: Array(#"{"handling_days": 45, "negotiation_working_days": 3}"#.utf8))
        XCTAssertEqual(limits.handlingDays, 45)
        XCTAssertEqual(limits.negotiationWorkingDays, 3)
        XCTAssertEqual(limits.transferDays, 15)
    }

    func testFileErrorsAreClear() {
        XCTAssertThrowsError(try TimeLimits.load(json: Array(#"{"handling_dayz": 45}"#.utf8))) { error in
            XCTAssertTrue("\(error)".contains("unknown setting `handling_dayz`"))
        }
        XCTAssertThrowsError(try TimeLimits.load(json: Array(#"{"handling_days": 0}"#.utf8)))
        XCTAssertThrowsError(try TimeLimits.load(json: Array(#"{"handling_days": "60"}"#.utf8)))
        XCTAssertThrowsError(try TimeLimits.load(json: Array("[1]".utf8)))
    }
}
