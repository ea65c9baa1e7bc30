// WorkingCalendar: which days are working days — Monday to Friday, minus public holidays, plus the
// adjusted working days on weekends (调休) — loaded from a plain text file the conference keeps.
import Foundation

/// The working-day calendar.
///
/// File format, one day a line, `#` starts a comment:
///
///     2026-10-01 holiday   National Day
///     2026-10-10 workday   adjusted working Saturday
public struct WorkingCalendar: Sendable, Equatable {
    public private(set) var holidays: Set<LocalDate>
    public private(set) var adjustedWorkdays: Set<LocalDate>

    public init(holidays: Set<LocalDate> = [], adjustedWorkdays: Set<LocalDate> = []) {
        self.holidays = holidays
        self.adjustedWorkdays = adjustedWorkdays
    }

    /// A calendar with weekends only.
    public static let weekendsOnly = WorkingCalendar()

    /// Why a calendar file could not be read; names the line.
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let line: Int
        public let text: String
        public var description: String { "calendar line \(line): expected `YYYY-MM-DD holiday|workday`, found `\(text)`" }
    }

    /// Parses the file format above.
    public init(parsing text: String) throws {
        var holidays = Set<LocalDate>()
        var workdays = Set<LocalDate>()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            guard fields.count >= 2, let date = LocalDate(String(fields[0])) else {
                throw ParseError(line: index + 1, text: String(rawLine.prefix(80)))
            }
            switch fields[1].lowercased() {
            case "holiday": holidays.insert(date)
            case "workday": workdays.insert(date)
            default: throw ParseError(line: index + 1, text: String(rawLine.prefix(80)))
            }
        }
        let both = holidays.intersection(workdays)
        if let first = both.sorted().first {
            throw ParseError(line: 0, text: "\(first) is listed as both holiday and workday")
        }
        self.init(holidays: holidays, adjustedWorkdays: workdays)
    }

    /// Whether units work on `date`.
    public func isWorkingDay(_ date: LocalDate) -> Bool {
        if holidays.contains(date) { return false }
        if adjustedWorkdays.contains(date) { return true }
        return !date.isWeekend
    }

    /// The first working day on or after `date`.
    public func workingDay(onOrAfter date: LocalDate) -> LocalDate {
        var day = date
        while !isWorkingDay(day) { day = day.adding(days: 1) }
        return day
    }

    /// The last day of a limit of `days` calendar days counted from the day after `start`; a last
    /// day that is not a working day moves to the next working day.
    public func calendarDeadline(from start: LocalDate, days: Int) -> LocalDate {
        workingDay(onOrAfter: start.adding(days: days))
    }

    /// The working days left to a limit whose last day is `due`, seen on `today`: today counts
    /// when it is a working day, and so does the last day (0 once `due` has passed).
    public func workingDays(from today: LocalDate, through due: LocalDate) -> Int {
        var day = today, count = 0
        while day <= due {
            if isWorkingDay(day) { count += 1 }
            day = day.adding(days: 1)
        }
        return count
    }

    /// The last day of a limit of `days` working days counted from the day after `start`.
    public func workingDayDeadline(from start: LocalDate, days: Int) -> LocalDate {
        var day = start
        var counted = 0
        while counted < days {
            day = day.adding(days: 1)
            if isWorkingDay(day) { counted += 1 }
        }
        return day
    }
}
