// RegistrationNumber: 登记编号, the number people say and write for a case (〔2026〕第0001号): the
// year the case was registered in, in the conference's time zone, and its place among that year's
// cases, written by the deployment's pattern. Cases are registered in id order, so a year's cases
// are a run of ids: the number follows from the id and the first case of each year, and no
// recorded event changes.

/// How a deployment writes its registration numbers: text with `{year}` and `{seq}` (or
/// `{seq:N}`, the place zero-padded to N digits), each exactly once.
public struct NumberPattern: Sendable, Equatable, CustomStringConvertible {
    public static let `default` = NumberPattern(checked: "〔{year}〕第{seq:4}号")
    public static let maxLength = 40

    enum Part: Equatable {
        case literal(String)
        case year
        case sequence(width: Int)
    }

    let parts: [Part]
    public let description: String

    /// The pattern `text`, or a refusal saying what a pattern must be.
    public init(_ text: String) throws(CaseRefusal) {
        func refuse(_ why: String) -> CaseRefusal {
            CaseRefusal(.invalidArgument, "a registration number pattern \(why) (for example \(NumberPattern.default.description))")
        }
        guard !text.isEmpty, text.count <= Self.maxLength else { throw refuse("is 1-\(Self.maxLength) characters") }
        var parts: [Part] = [], literal = "", rest = Substring(text)
        while let character = rest.first {
            if character == "{", let close = rest.firstIndex(of: "}") {
                let token = rest[rest.index(after: rest.startIndex)..<close]
                let part: Part
                if token == "year" {
                    part = .year
                } else if token == "seq" {
                    part = .sequence(width: 1)
                } else if token.hasPrefix("seq:"), let width = Int(token.dropFirst(4)), (1...9).contains(width) {
                    part = .sequence(width: width)
                } else {
                    throw refuse("knows only {year}, {seq} and {seq:N} with N from 1 to 9, not {\(token)}")
                }
                if !literal.isEmpty { parts.append(.literal(literal)) }
                literal = ""
                parts.append(part)
                rest = rest[rest.index(after: close)...]
            } else {
                guard !character.isNumber, character != "{", character != "}" else { throw refuse("has no digits or braces of its own") }
                guard !character.isNewline, character.unicodeScalars.allSatisfy({ $0.value >= 0x20 }) else { throw refuse("is one line") }
                literal.append(character)
                rest = rest.dropFirst()
            }
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        guard parts.filter({ $0 == .year }).count == 1,
              parts.filter({ if case .sequence = $0 { return true } else { return false } }).count == 1
        else { throw refuse("has {year} and {seq} once each") }
        for (part, following) in zip(parts, parts.dropFirst()) {
            if case .literal = part { continue }
            if case .literal = following { continue }
            throw refuse("has text between {year} and {seq}")
        }
        self.parts = parts
        description = text
    }

    private init(checked text: String) {
        // swiftlint:disable:next force_try
        self = try! NumberPattern(text)
    }

    /// The number of the `sequence`th case of `year`.
    public func format(year: Int, sequence: Int) -> String {
        parts.map { part in
            switch part {
            case .literal(let text): return text
            case .year: return String(year)
            case .sequence(let width):
                let digits = String(sequence)
                return String(repeating: "0", count: max(0, width - digits.count)) + digits
            }
        }.joined()
    }

    /// The year and place a number names, if `text` is one written by this pattern (the place
    /// with or without its leading zeros).
    public func parse(_ text: String) -> (year: Int, sequence: Int)? {
        var rest = Substring(text), year: Int?, sequence: Int?
        for part in parts {
            switch part {
            case .literal(let literal):
                guard rest.hasPrefix(literal) else { return nil }
                rest = rest.dropFirst(literal.count)
            case .year, .sequence:
                let digits = rest.prefix { $0.isASCII && $0.isNumber }
                guard !digits.isEmpty, digits.count <= 9, let value = Int(digits) else { return nil }
                if part == .year {
                    guard digits.count == 4 else { return nil }
                    year = value
                } else {
                    sequence = value
                }
                rest = rest.dropFirst(digits.count)
            }
        }
        guard rest.isEmpty, let year, let sequence, sequence >= 1 else { return nil }
        return (year, sequence)
    }
}

/// The registration numbers of a conference: its pattern, and the first case registered in each
/// year (ascending by both).
public struct RegistrationNumbering: Sendable, Equatable {
    public struct YearStart: Sendable, Equatable {
        public let year: Int
        public let firstCase: CaseID

        public init(year: Int, firstCase: CaseID) {
            self.year = year
            self.firstCase = firstCase
        }
    }

    public var pattern: NumberPattern
    public private(set) var years: [YearStart]

    public init(pattern: NumberPattern = .default, years: [YearStart] = []) {
        self.pattern = pattern
        self.years = years.sorted { $0.firstCase < $1.firstCase }
    }

    /// The year a case registered now falls in: the year of `localYear`, never earlier than the
    /// year of the case before it (a clock read just before midnight and written just after).
    public func year(ofNextCaseAt localYear: Int) -> Int { max(localYear, years.last?.year ?? localYear) }

    /// Notes that `id`, registered in `year`, is the first case of that year if it is.
    /// - Returns: whether it started a year.
    @discardableResult
    public mutating func record(_ id: CaseID, in year: Int) -> Bool {
        guard year > (years.last?.year ?? Int.min) else { return false }
        years.append(YearStart(year: year, firstCase: id))
        return true
    }

    /// The registration number of case `id` (nil before the first year is known, which no
    /// registered case is).
    public func number(of id: CaseID) -> String? {
        guard let start = years.last(where: { $0.firstCase <= id }) else { return nil }
        return pattern.format(year: start.year, sequence: Int(id.rawValue - start.firstCase.rawValue) + 1)
    }

    /// The case `text` names by its registration number, if it is one of a year this conference has
    /// (whether or not that many cases were registered in it).
    public func caseID(named text: String) -> CaseID? {
        guard let (year, sequence) = pattern.parse(text),
              let index = years.firstIndex(where: { $0.year == year }) else { return nil }
        let id = years[index].firstCase.rawValue + Int64(sequence) - 1
        if index + 1 < years.count, id >= years[index + 1].firstCase.rawValue { return nil }
        return CaseID(id)
    }
}
