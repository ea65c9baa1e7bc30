// HubCommand: every request of the conference protocol as a typed value. Parameters are decoded
// strictly (JSONDecoder, snake_case) from the request's bytes and then checked for size; errors
// name the field. docs/protocol.md documents each command.
import CaseCore
import Foundation
import Messaging

/// A request the hub understands.
enum HubCommand {
    case hello
    case auth(token: String)
    case rooms(after: String?, limit: Int)
    case join(room: String, lastSequence: Int64?, epoch: String?)
    case leave(room: String)
    case post(room: String, text: String, key: String)
    case history(room: String, before: Int64?, after: Int64?, limit: Int)
    case who(room: String)
    case caseRegister(Registration)
    case caseChange(CaseID, CaseChange)
    case caseGet(CaseID)
    case caseHistory(CaseID, after: Int64, limit: Int)
    case casePetitioner(CaseID)
    case cases(unit: UnitID?, relation: UnitRelation, status: CaseStatus?, after: CaseID?, limit: Int)
    case negotiationAnswer(CaseID, unit: UnitID?, NegotiationAnswer)
    case negotiationGet(CaseID)
    case negotiationFigures(unit: UnitID?, from: LocalDate?, to: LocalDate?)
    case supervision
    case caseOverview(CaseID)
    case meetingConvene(Convening)
    case meetingChange(MeetingID, MeetingChange)
    case meetingGet(MeetingID)
    case meetings(after: MeetingID?, limit: Int)
    case meetingMinutes(MeetingID, markdown: Bool)
    case decisionsCheckpoint
    case decisionsEntries(from: Int, limit: Int)
    case decisionsInclusion(index: Int, size: Int?)
    case decisionsConsistency(first: Int, second: Int?)

    /// Every command name, as documented.
    static let names = [
        "hello", "auth", "rooms", "join", "leave", "post", "history", "who", "case.register", "case.change", "case.get",
        "case.history", "case.petitioner", "cases", "negotiation.answer", "negotiation.get", "negotiation.figures", "supervision", "case.overview",
        "meeting.convene", "meeting.change", "meeting.get", "meetings", "meeting.minutes", "decisions.checkpoint", "decisions.entries",
        "decisions.inclusion", "decisions.consistency",
    ]

    /// Commands allowed before authentication.
    var allowedUnauthenticated: Bool {
        switch self {
        case .hello, .auth: return true
        default: return false
        }
    }

    /// Why a request could not be turned into a command.
    struct ParseError: Error {
        let code: ErrorCode
        let message: String
    }

    /// Bounds on request fields.
    enum Limits {
        static let maxPage = 500
        static let maxToken = 256
        static let maxKey = 128
        static let maxRoom = 64
        static let maxEpoch = 64
    }

    // Parameter shapes (unknown fields are ignored).
    private struct AuthParams: Decodable { let token: String }
    private struct RoomsParams: Decodable { let after: String?; let limit: Int? }
    private struct JoinParams: Decodable { let room: String; let lastSeq: Int64?; let epoch: String? }
    private struct RoomParams: Decodable { let room: String }
    private struct PostParams: Decodable { let room: String; let text: String; let key: String }
    private struct HistoryParams: Decodable { let room: String; let before: Int64?; let after: Int64?; let limit: Int? }
    private struct CaseParams: Decodable { let `case`: CaseReference }
    private struct CaseChangeParams: Decodable { let `case`: CaseReference; let change: CaseChange }
    private struct CaseHistoryParams: Decodable { let `case`: CaseReference; let after: Int64?; let limit: Int? }
    private struct CasesParams: Decodable {
        let unit: String?
        let relation: UnitRelation?
        let status: CaseStatus?
        let after: CaseReference?
        let limit: Int?
    }

    private struct NegotiationAnswerParams: Decodable {
        let `case`: CaseReference
        let answer: NegotiationAnswer.Position
        let unit: String?
        let supports: String?
        let reason: String?
        let basis: String?
    }
    private struct FiguresParams: Decodable { let unit: String?; let from: LocalDate?; let to: LocalDate? }
    private struct MeetingParams: Decodable { let meeting: MeetingReference }
    private struct MeetingChangeParams: Decodable { let meeting: MeetingReference; let change: MeetingChange }
    private struct MeetingsParams: Decodable { let after: MeetingReference?; let limit: Int? }
    private struct MinutesParams: Decodable { let meeting: MeetingReference; let format: String? }
    private struct EntriesParams: Decodable { let from: Int?; let limit: Int? }
    private struct InclusionParams: Decodable { let index: Int; let size: Int? }
    private struct ConsistencyParams: Decodable { let first: Int; let second: Int? }

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

    /// A `post` from the string fields read by `FlatJSON` (the hot path); nil when a field is
    /// missing, so that the general decoder reports it. Checks exactly what `parse` checks.
    static func post(_ fields: [String: String], maxTextLength: Int) throws(ParseError) -> HubCommand? {
        guard let room = fields["room"], let text = fields["text"], let key = fields["key"] else { return nil }
        return .post(room: try Self.room(room), text: try check(text, "text", max: maxTextLength), key: try check(key, "key", max: Limits.maxKey))
    }

    /// Parses `request`; `maxTextLength` bounds `post` text (a setting).
    static func parse(_ request: Request, maxTextLength: Int) throws(ParseError) -> HubCommand {
        func decode<T: Decodable>(_ type: T.Type) throws(ParseError) -> T {
            do {
                return try WireCoding.decoder.decode(T.self, from: request.raw)
            } catch let error as DecodingError {
                throw ParseError(code: .badRequest, message: WireCoding.describe(error, fields: request.fields))
            } catch {
                throw ParseError(code: .badRequest, message: "the request could not be read")
            }
        }
        switch request.type {
        case "hello":
            return .hello
        case "auth":
            // Connection set-up: when the request holds nothing but id, type and this string, it
            // is taken from the parsed envelope (the typed decoder would read the same).
            if request.fields.count == 3, let token = request.fields["token"] as? String {
                return .auth(token: try check(token, "token", max: Limits.maxToken))
            }
            let params = try decode(AuthParams.self)
            return .auth(token: try check(params.token, "token", max: Limits.maxToken))
        case "rooms":
            let params = try decode(RoomsParams.self)
            return .rooms(after: try params.after.map { text throws(ParseError) in try check(text, "after", max: Limits.maxRoom) },
                          limit: try limit(params.limit))
        case "join":
            if request.fields.count == 3, let room = request.fields["room"] as? String {
                return .join(room: try Self.room(room), lastSequence: nil, epoch: nil)
            }
            let params = try decode(JoinParams.self)
            return .join(room: try room(params.room), lastSequence: try sequence(params.lastSeq, "last_seq"),
                         epoch: try params.epoch.map { text throws(ParseError) in try check(text, "epoch", max: Limits.maxEpoch) })
        case "leave":
            return .leave(room: try room(decode(RoomParams.self).room))
        case "post":
            // The hot path: the envelope is already parsed; when the fields have the right types
            // they are taken from it (the typed decoder below gives the error otherwise).
            if let room = request.fields["room"] as? String, let text = request.fields["text"] as? String,
                let key = request.fields["key"] as? String
            {
                return .post(room: try Self.room(room), text: try check(text, "text", max: maxTextLength), key: try check(key, "key", max: Limits.maxKey))
            }
            let params = try decode(PostParams.self)
            return .post(room: try room(params.room), text: try check(params.text, "text", max: maxTextLength),
                         key: try check(params.key, "key", max: Limits.maxKey))
        case "history":
            let params = try decode(HistoryParams.self)
            if params.before != nil && params.after != nil { throw ParseError(code: .badRequest, message: "give `before` or `after`, not both") }
            return .history(room: try room(params.room), before: try sequence(params.before, "before"),
                            after: try sequence(params.after, "after"), limit: try limit(params.limit))
        case "who":
            return .who(room: try room(decode(RoomParams.self).room))
        case "case.register":
            return .caseRegister(try decode(Registration.self))
        case "case.change":
            let params = try decode(CaseChangeParams.self)
            return .caseChange(params.case.id, params.change)
        case "case.get":
            return .caseGet(try decode(CaseParams.self).case.id)
        case "case.history":
            let params = try decode(CaseHistoryParams.self)
            return .caseHistory(params.case.id, after: try sequence(params.after, "after") ?? 0, limit: try limit(params.limit))
        case "case.petitioner":
            return .casePetitioner(try decode(CaseParams.self).case.id)
        case "cases":
            let params = try decode(CasesParams.self)
            let unit = try params.unit.map { text throws(ParseError) -> UnitID in
                guard IdentifierRules.isValid(text) else { throw ParseError(code: .badRequest, message: "`unit` is not a valid unit id") }
                return UnitID(text)
            }
            return .cases(unit: unit, relation: params.relation ?? .involved, status: params.status, after: params.after?.id,
                          limit: try limit(params.limit))
        case "negotiation.answer":
            let params = try decode(NegotiationAnswerParams.self)
            let answer = NegotiationAnswer(
                position: params.answer, supports: try params.supports.map { text throws(ParseError) in try unit(text, "supports") },
                reason: try params.reason.map { text throws(ParseError) in try check(text, "reason", max: CaseInputLimits.reasonLength) },
                basis: try params.basis.map { text throws(ParseError) in try check(text, "basis", max: CaseInputLimits.reasonLength) })
            return .negotiationAnswer(params.case.id, unit: try params.unit.map { text throws(ParseError) in try unit(text, "unit") }, answer)
        case "negotiation.get":
            return .negotiationGet(try decode(CaseParams.self).case.id)
        case "negotiation.figures":
            let params = try decode(FiguresParams.self)
            if let from = params.from, let to = params.to, to < from {
                throw ParseError(code: .badRequest, message: "`to` is before `from`")
            }
            return .negotiationFigures(unit: try params.unit.map { text throws(ParseError) in try unit(text, "unit") }, from: params.from, to: params.to)
        case "supervision":
            return .supervision
        case "case.overview":
            return .caseOverview(try decode(CaseParams.self).case.id)
        case "meeting.convene":
            var convening = try decode(Convening.self)
            convening.chairIsLeader = nil  // the hub looks it up
            return .meetingConvene(convening)
        case "meeting.change":
            let params = try decode(MeetingChangeParams.self)
            return .meetingChange(params.meeting.id, params.change)
        case "meeting.get":
            return .meetingGet(try decode(MeetingParams.self).meeting.id)
        case "meetings":
            let params = try decode(MeetingsParams.self)
            return .meetings(after: params.after?.id, limit: try limit(params.limit))
        case "meeting.minutes":
            let params = try decode(MinutesParams.self)
            let format = params.format ?? "markdown"
            guard format == "markdown" || format == "json" else { throw ParseError(code: .badRequest, message: "`format` is markdown or json") }
            return .meetingMinutes(params.meeting.id, markdown: format == "markdown")
        case "decisions.checkpoint":
            return .decisionsCheckpoint
        case "decisions.entries":
            let params = try decode(EntriesParams.self)
            guard (params.from ?? 0) >= 0 else { throw ParseError(code: .badRequest, message: "`from` must be ≥ 0") }
            return .decisionsEntries(from: params.from ?? 0, limit: try limit(params.limit))
        case "decisions.inclusion":
            let params = try decode(InclusionParams.self)
            guard params.index >= 0, (params.size ?? 1) > 0 else { throw ParseError(code: .badRequest, message: "`index` ≥ 0 and `size` > 0") }
            return .decisionsInclusion(index: params.index, size: params.size)
        case "decisions.consistency":
            let params = try decode(ConsistencyParams.self)
            guard params.first > 0, (params.second ?? params.first) >= params.first else {
                throw ParseError(code: .badRequest, message: "give 0 < `first` ≤ `second`")
            }
            return .decisionsConsistency(first: params.first, second: params.second)
        default:
            throw ParseError(code: .unknownCommand, message: "unknown command `\(request.type.prefix(64))`")
        }
    }

    private static func unit(_ text: String, _ name: String) throws(ParseError) -> UnitID {
        guard IdentifierRules.isValid(text) else { throw ParseError(code: .badRequest, message: "`\(name)` is not a valid unit id") }
        return UnitID(text)
    }

    private static func check(_ text: String, _ name: String, max: Int) throws(ParseError) -> String {
        guard !text.isEmpty else { throw ParseError(code: .badRequest, message: "`\(name)` must not be empty") }
        guard text.count <= max else { throw ParseError(code: .badRequest, message: "`\(name)` is longer than \(max) characters") }
        return text
    }

    private static func sequence(_ value: Int64?, _ name: String) throws(ParseError) -> Int64? {
        guard let value else { return nil }
        guard value >= 0 else { throw ParseError(code: .badRequest, message: "`\(name)` must be ≥ 0") }
        return value
    }

    private static func limit(_ value: Int?) throws(ParseError) -> Int {
        guard let value else { return 100 }
        guard (1...Limits.maxPage).contains(value) else { throw ParseError(code: .badRequest, message: "`limit` is 1 to \(Limits.maxPage)") }
        return value
    }

    private static func room(_ text: String) throws(ParseError) -> String {
        let room = try check(text, "room", max: Limits.maxRoom)
        guard RoomID.isValid(room) else { throw ParseError(code: .badRequest, message: "`room` is lobby, case-N or meeting-N") }
        return room
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

/// JSON coding of CaseCore values on the wire: snake_case keys.
enum WireCoding {
    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// A CaseCore value as a JSON object (for embedding in a reply).
    static func object<T: Encodable>(_ value: T) -> Any {
        guard let data = try? encoder.encode(value), let object = try? JSONSerialization.jsonObject(with: data) else { return NSNull() }
        return object
    }

    /// `involvedUnits` → `involved_units`, as the field is named on the wire.
    static func snake(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// A decoding error as one sentence naming the field. `fields` is the request as
    /// JSONSerialization read it: the typed decoder reports a number that does not fit its field
    /// (a fraction, or beyond 64 bits) as invalid JSON at the root, naming nothing, so the number
    /// is looked for there.
    static func describe(_ error: DecodingError, fields: [String: Any]) -> String {
        if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
           let problem = numberProblem(in: fields, path: []) {
            return problem
        }
        return describe(error)
    }

    /// The first number in `value` (keys in sorted order) that no integer field could take — a
    /// fraction, or beyond 64 bits — as a sentence naming it; nil when there is none.
    static func numberProblem(in value: Any, path: [String]) -> String? {
        func name() -> String { path.isEmpty ? "the request" : "`" + path.joined(separator: ".") + "`" }
        switch value {
        case let object as [String: Any]:
            for key in object.keys.sorted() {
                if let problem = numberProblem(in: object[key]!, path: path + [key]) { return problem }
            }
        case let array as [Any]:
            for (index, element) in array.enumerated() {
                if let problem = numberProblem(in: element, path: path + ["[\(index)]"]) { return problem }
            }
        case let number as NSNumber:
            switch String(cString: number.objCType) {
            case "Q":
                // JSONSerialization keeps an unsigned 64-bit type only for what Int64 cannot hold.
                return "\(name()) is out of range (at most \(Int64.max))"
            case "d", "f":
                let double = number.doubleValue
                if double.rounded(.towardZero) != double { return "\(name()) must be a whole number" }
                if double.magnitude >= 0x1p63 { return "\(name()) is out of range (\(Int64.min) to \(Int64.max))" }
            default:
                break
            }
        default:
            break
        }
        return nil
    }

    /// A decoding error as one sentence naming the field.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let names = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? snake($0.stringValue) }
            return names.isEmpty ? "the request" : "`" + names.joined(separator: ".") + "`"
        }
        switch error {
        case .keyNotFound(let key, let context):
            let prefix = context.codingPath.isEmpty ? "" : path(context) + ": "
            return "\(prefix)`\(snake(key.stringValue))` is required"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context)) has the wrong type"
        case .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "the request could not be read"
        }
    }
}
