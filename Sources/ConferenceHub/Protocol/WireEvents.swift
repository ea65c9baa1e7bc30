// WireEvents: the bytes of room events as clients receive them. Each is encoded once, stored as
// is, and written unchanged to every member and to anyone replaying the room later.
import CaseCore
import Foundation
import Messaging
import NIOCore

enum WireEvents {
    /// `at` in UTC with milliseconds, as events carry it: 2026-11-22T05:41:09.917Z.
    static func iso8601(_ at: Timestamp) -> String {
        var buffer = ByteBuffer()
        writeISO8601(at, to: &buffer)
        return String(buffer: buffer)
    }

    /// Writes `iso8601(at)`, computed exactly from the integer milliseconds (the calendar date
    /// by `LocalDate(dayNumber:)`). Foundation's formatter goes through a floating-point
    /// Date and can write one millisecond less (…00.999 as …00.998).
    static func writeISO8601(_ at: Timestamp, to buffer: inout ByteBuffer) {
        let milliseconds = at.milliseconds
        let days = milliseconds >= 0 ? milliseconds / 86_400_000 : (milliseconds - 86_399_999) / 86_400_000
        let inDay = milliseconds - days * 86_400_000
        let date = LocalDate(dayNumber: Int(days))
        func digits(_ value: Int64, _ count: Int) {
            var divisor: Int64 = 1
            for _ in 1..<count { divisor *= 10 }
            var value = value
            while divisor > 0 {
                buffer.writeInteger(UInt8(ascii: "0") + UInt8(value / divisor))
                value %= divisor
                divisor /= 10
            }
        }
        digits(Int64(date.year), 4)
        buffer.writeInteger(UInt8(ascii: "-"))
        digits(Int64(date.month), 2)
        buffer.writeInteger(UInt8(ascii: "-"))
        digits(Int64(date.day), 2)
        buffer.writeInteger(UInt8(ascii: "T"))
        digits(inDay / 3_600_000, 2)
        buffer.writeInteger(UInt8(ascii: ":"))
        digits(inDay / 60_000 % 60, 2)
        buffer.writeInteger(UInt8(ascii: ":"))
        digits(inDay / 1_000 % 60, 2)
        buffer.writeInteger(UInt8(ascii: "."))
        digits(inDay % 1_000, 3)
        buffer.writeInteger(UInt8(ascii: "Z"))
    }

    /// An event's bytes: its header (`type`, `room`, `seq`, `epoch`, `at`, `kind`) and its body's
    /// fields, keys sorted, encoded once.
    static func encode<Body: Encodable>(_ position: RoomPosition, kind: String, _ body: Body) throws -> [UInt8] {
        try encoder.encode(Frame(position: position, kind: kind, body: body))
    }

    /// Keys as the body's type names them, sorted (the bytes JSONEncoder's `sortedKeys` gives).
    private static let encoder = StreamingJSONEncoder(sorted: true)

    /// An event: the header's fields and the body's, in one object.
    private struct Frame<Body: Encodable>: Encodable {
        let position: RoomPosition
        let kind: String
        let body: Body

        enum Keys: String, CodingKey { case type, room, seq, epoch, at, kind }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode("event", forKey: .type)
            try container.encode(position.room, forKey: .room)
            try container.encode(position.sequence, forKey: .seq)
            try container.encode(position.epoch, forKey: .epoch)
            try container.encode(WireEvents.iso8601(position.at), forKey: .at)
            try container.encode(kind, forKey: .kind)
            try body.encode(to: encoder)  // the same object: a keyed container's fields join the header's
        }
    }

    /// A message posted by a person: the bytes `encode` would give for
    /// `header + from + text`, written directly (this is the hot path of every post).
    static func message(_ position: RoomPosition, person: PersonID, unit: UnitID, text: String) throws -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(160 + text.utf8.count + position.room.utf8.count)
        buffer.writeStaticString(#"{"at":""#)
        writeISO8601(position.at, to: &buffer)
        buffer.writeStaticString(#"""#)
        buffer.writeStaticString(#","epoch":"#)
        Reply.writeJSONString(position.epoch, to: &buffer)
        buffer.writeStaticString(#","from":{"person":"#)
        Reply.writeJSONString(person.rawValue, to: &buffer)
        buffer.writeStaticString(#","unit":"#)
        Reply.writeJSONString(unit.rawValue, to: &buffer)
        buffer.writeStaticString(#"},"kind":"message","room":"#)
        Reply.writeJSONString(position.room, to: &buffer)
        buffer.writeStaticString(#","seq":"#)
        buffer.writeString(String(position.sequence))
        buffer.writeStaticString(#","text":"#)
        Reply.writeJSONString(text, to: &buffer)
        buffer.writeStaticString(#","type":"event"}"#)
        return Array(buffer.readableBytesView)
    }

    /// The general (slower) encoding of a message event, kept to check the direct one against.
    static func messageByEncoder(_ position: RoomPosition, person: PersonID, unit: UnitID, text: String) throws -> [UInt8] {
        try encode(position, kind: "message", EventBodies.Message(from: .init(person: person.rawValue, unit: unit.rawValue), text: text))
    }

    /// A change to a case, in its case room.
    static func caseEvent(_ event: CaseEvent, _ position: RoomPosition) throws -> [UInt8] {
        try encode(position, kind: "case", EventBodies.Case(case: RoomID.case(event.caseID), caseEvent: try WireNames.value(event)))
    }

    /// A who-leads milestone of a case, in the lobby: every member unit hears of it. Carries the
    /// case's title and units, never petitioner data.
    static func notice(_ event: CaseEvent, _ state: PetitionCase, _ position: RoomPosition) throws -> [UInt8] {
        var body = EventBodies.CaseNotice(
            notice: event.change.type, case: RoomID.case(state.id), title: state.title, status: state.status.rawValue,
            units: (state.status == .negotiating ? state.negotiation?.units ?? state.involvedUnits : state.involvedUnits).map(\.rawValue))
        if let lead = state.leadUnit {
            body.lead = lead.rawValue
            body.coHandling = state.coHandlingUnits.map(\.rawValue)
        }
        switch state.status {
        case .negotiating:
            body.due = state.deadline(.negotiation)?.due.description
        case .disputed:
            body.reason = state.escalation?.reason.rawValue ?? ""
            body.decidedBy = state.escalation?.to.map { "leader of \($0.rawValue)" } ?? "coordinator"
            body.due = state.deadline(.escalation)?.due.description
            if state.escalation?.overdueAt != nil { body.overdue = true }
        default:
            break
        }
        return try encode(position, kind: "notice", body)
    }

    /// A deadline warning in a case room: `level` 50, 75, 85, 99 or 100 (`overdue`).
    static func deadline(_ warning: DeadlineWarning, _ state: PetitionCase, _ position: RoomPosition) throws -> [UInt8] {
        try encode(position, kind: "deadline", EventBodies.Deadline(
            case: RoomID.case(warning.caseID), obligation: warning.obligation, what: state.describe(warning.obligation),
            level: warning.level.rawValue, overdue: warning.level == .overdue, dueAt: warning.dueAt.milliseconds,
            owedBy: owedBy(warning.owedBy, offices: [])))  // CaseCore named the office's units already
    }

    /// Unit ids, or the conference office's units (found by kind) when no other unit owes it.
    static func owedBy(_ units: [UnitID], offices: [UnitID]) -> [String] {
        (units.isEmpty ? offices : units).map(\.rawValue)
    }

    /// A meeting event: in the meeting room the whole event; in the lobby a notice for members.
    static func meeting(_ event: MeetingEvent, _ meeting: Meeting, _ position: RoomPosition) throws -> [UInt8] {
        if position.room == RoomID.lobby {
            return try encode(position, kind: "notice", EventBodies.MeetingNotice(
                notice: "meeting_" + event.change.type, meeting: RoomID.meeting(meeting.id), title: meeting.title,
                status: meeting.status.rawValue, scheduledAt: meeting.scheduledAt.milliseconds, units: meeting.invitations.map(\.unit.rawValue)))
        }
        return try encode(position, kind: "meeting", EventBodies.Meeting(meeting: RoomID.meeting(meeting.id), meetingEvent: try WireNames.value(event)))
    }

    /// A person's first connection joined the room, or their last one left.
    static func presence(_ position: RoomPosition, person: PersonID, unit: UnitID, joined: Bool) throws -> [UInt8] {
        try encode(position, kind: "presence", EventBodies.Presence(presence: joined ? "joined" : "left", person: person.rawValue, unit: unit.rawValue))
    }
}

/// The fields of each kind of room event besides its header (docs/protocol.md, *Events*).
enum EventBodies {
    struct Message: Encodable {
        struct From: Encodable {
            let person: String
            let unit: String
        }
        let from: From
        let text: String
    }

    struct Case: Encodable {
        let `case`: String
        let caseEvent: JSONValue
        enum CodingKeys: String, CodingKey { case `case`, caseEvent = "case_event" }
    }

    struct CaseNotice: Encodable {
        let notice: String
        let `case`: String
        let title: String
        let status: String
        let units: [String]
        var lead: String?
        var coHandling: [String]?
        var due: String?
        var reason: String?
        var decidedBy: String?
        var overdue: Bool?
        enum CodingKeys: String, CodingKey {
            case notice, `case`, title, status, units, lead, coHandling = "co_handling", due, reason, decidedBy = "decided_by", overdue
        }
    }

    struct Deadline: Encodable {
        let `case`: String
        let obligation: String
        let what: String
        let level: Int
        let overdue: Bool
        let dueAt: Int64
        let owedBy: [String]
        enum CodingKeys: String, CodingKey { case `case`, obligation, what, level, overdue, dueAt = "due_at", owedBy = "owed_by" }
    }

    struct MeetingNotice: Encodable {
        let notice: String
        let meeting: String
        let title: String
        let status: String
        let scheduledAt: Int64
        let units: [String]
        enum CodingKeys: String, CodingKey { case notice, meeting, title, status, scheduledAt = "scheduled_at", units }
    }

    struct Meeting: Encodable {
        let meeting: String
        let meetingEvent: JSONValue
        enum CodingKeys: String, CodingKey { case meeting, meetingEvent = "meeting_event" }
    }

    struct Presence: Encodable {
        let presence: String
        let person: String
        let unit: String
    }
}
