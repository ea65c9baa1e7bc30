// Parameters: the checks that command parameters share — bounds on sizes and pages, room and
// unit ids, and case or meeting ids given either as "case-12" or as 12. Each error names the field.
import CaseCore
import Foundation

/// Bounds on request fields.
enum ParameterLimits {
    static let maxPage = 500
    static let defaultPage = 100
    static let maxToken = 256
    static let maxKey = 128
    static let maxRoom = 64
    static let maxEpoch = 64
}

/// Checks shared by the commands' parameters.
enum Check {
    /// A non-empty string of at most `max` characters.
    static func text(_ text: String, _ name: String, max: Int) throws(HubFailure) -> String {
        guard !text.isEmpty else { throw HubFailure(.badRequest, "`\(name)` must not be empty") }
        guard text.count <= max else { throw HubFailure(.badRequest, "`\(name)` is longer than \(max) characters") }
        return text
    }

    /// An optional string, checked as `text` when given.
    static func text(ifGiven text: String?, _ name: String, max: Int) throws(HubFailure) -> String? {
        guard let text else { return nil }
        return try Check.text(text, name, max: max)
    }

    /// Refuses (`forbidden`) a `change` whose `type` only the hub records, before its fields are
    /// read: a person sending one is told who may, not what its fields should be.
    static func notRecordedByTheHub(_ request: CommandRequest, _ recordedByTheHub: Set<String>) throws(HubFailure) {
        struct Named: Decodable { struct Change: Decodable { let type: String? }; let change: Change? }
        guard let type = (try? request.decode(Named.self))?.change?.type, recordedByTheHub.contains(type) else { return }
        throw HubFailure(.forbidden, "only the hub itself records `\(type)`")
    }

    /// A room sequence number (≥ 0) when given.
    static func sequence(_ value: Int64?, _ name: String) throws(HubFailure) -> Int64? {
        guard let value else { return nil }
        guard value >= 0 else { throw HubFailure(.badRequest, "`\(name)` must be ≥ 0") }
        return value
    }

    /// A page size: 1 to `ParameterLimits.maxPage`, 100 when not given.
    static func limit(_ value: Int?) throws(HubFailure) -> Int {
        guard let value else { return ParameterLimits.defaultPage }
        guard (1...ParameterLimits.maxPage).contains(value) else { throw HubFailure(.badRequest, "`limit` is 1 to \(ParameterLimits.maxPage)") }
        return value
    }

    /// `lobby`, `case-N` or `meeting-N`.
    static func room(_ text: String) throws(HubFailure) -> String {
        let room = try Check.text(text, "room", max: ParameterLimits.maxRoom)
        guard RoomID.isValid(room) else { throw HubFailure(.badRequest, "`room` is lobby, case-N or meeting-N") }
        return room
    }

    /// A unit id.
    static func unit(_ text: String, _ name: String) throws(HubFailure) -> UnitID {
        guard IdentifierRules.isValid(text) else { throw HubFailure(.badRequest, "`\(name)` is not a valid unit id") }
        return UnitID(text)
    }

    /// A unit id when given.
    static func unit(ifGiven text: String?, _ name: String) throws(HubFailure) -> UnitID? {
        guard let text else { return nil }
        return try unit(text, name)
    }
}

/// Ids shown as `prefix-N` that requests may give either way.
protocol NumberedID {
    init(_ value: Int64)
    init?(_ text: String)
    static var example: String { get }
}

extension CaseID: NumberedID { static var example: String { "case-12" } }
extension MeetingID: NumberedID { static var example: String { "meeting-3" } }

/// A case or meeting given as `"case-12"` / `"meeting-3"` or as the bare number.
struct Reference<ID: NumberedID>: Decodable {
    let id: ID
    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self), number > 0 {
            id = ID(number)
        } else if let text = try? container.decode(String.self), text.count <= 32, let parsed = ID(text) {
            id = parsed
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "a \(ID.example.prefix { $0 != "-" }) id such as \"\(ID.example)\"")
        }
    }
}

typealias CaseReference = Reference<CaseID>
typealias MeetingReference = Reference<MeetingID>

/// The parameters of a command that names one case.
struct CaseParameter: Decodable { let `case`: CaseReference }

/// The parameters of a command that names one meeting.
struct MeetingParameter: Decodable { let meeting: MeetingReference }

/// The parameters of a command that names one room.
struct RoomParameter: Decodable { let room: String }

/// A person in a room.
struct Member: Encodable, Sendable {
    let person: String
    let unit: String

    init(_ person: PersonID, _ unit: UnitID) {
        self.person = person.rawValue
        self.unit = unit.rawValue
    }
}

/// What a page costs against the rate limit: a request per 100 items it may return.
enum PageCost {
    static func of(limit: Int) -> Int { max(1, (limit + 99) / 100) }
}
