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

    static func header(_ position: RoomPosition, kind: String) -> [String: Any] {
        ["type": "event", "room": position.room, "seq": position.sequence, "epoch": position.epoch,
         "at": iso8601(position.at), "kind": kind]
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

    static func encode(_ object: [String: Any]) throws -> [UInt8] {
        var buffer = ByteBuffer()
        if JSONText.write(object, to: &buffer) { return Array(buffer.readableBytesView) }
        return Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
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
        var object = header(position, kind: "message")
        object["from"] = ["person": person.rawValue, "unit": unit.rawValue]
        object["text"] = text
        return try encode(object)
    }

    /// A change to a case, in its case room.
    static func caseEvent(_ event: CaseEvent, _ position: RoomPosition) throws -> [UInt8] {
        var object = header(position, kind: "case")
        object["case"] = "case-\(event.caseID.rawValue)"
        object["case_event"] = try WireNames.value(event).foundationObject
        return try encode(object)
    }

    /// A who-leads milestone of a case, in the lobby: every member unit hears of it. Carries the
    /// case's title and units, never petitioner data.
    static func notice(_ event: CaseEvent, _ state: PetitionCase, _ position: RoomPosition) throws -> [UInt8] {
        var object = header(position, kind: "notice")
        object["notice"] = event.change.type
        object["case"] = RoomID.case(state.id)
        object["title"] = state.title
        object["status"] = state.status.rawValue
        object["units"] = (state.status == .negotiating ? state.negotiation?.units ?? state.involvedUnits : state.involvedUnits).map(\.rawValue)
        if let lead = state.leadUnit {
            object["lead"] = lead.rawValue
            object["co_handling"] = state.coHandlingUnits.map(\.rawValue)
        }
        switch state.status {
        case .negotiating:
            if let due = state.deadline(.negotiation)?.due { object["due"] = due.description }
        case .disputed:
            object["reason"] = state.escalation?.reason.rawValue ?? ""
            object["decided_by"] = state.escalation?.to.map { "leader of \($0.rawValue)" } ?? "coordinator"
            if let due = state.deadline(.escalation)?.due { object["due"] = due.description }
            if state.escalation?.overdueAt != nil { object["overdue"] = true }
        default:
            break
        }
        return try encode(object)
    }

    /// A deadline warning in a case room: `level` 50, 75, 85, 99 or 100 (`overdue`).
    static func deadline(_ warning: DeadlineWarning, _ state: PetitionCase, _ position: RoomPosition) throws -> [UInt8] {
        var object = header(position, kind: "deadline")
        object["case"] = RoomID.case(warning.caseID)
        object["obligation"] = warning.obligation
        object["what"] = state.describe(warning.obligation)
        object["level"] = warning.level.rawValue
        object["overdue"] = warning.level == .overdue
        object["due_at"] = warning.dueAt.milliseconds
        object["owed_by"] = owedBy(warning.owedBy, offices: [])  // CaseCore named the office's units already
        return try encode(object)
    }

    /// Unit ids, or the conference office's units (found by kind) when no other unit owes it.
    static func owedBy(_ units: [UnitID], offices: [UnitID]) -> [String] {
        (units.isEmpty ? offices : units).map(\.rawValue)
    }

    /// A meeting event: in the meeting room the whole event; in the lobby a notice for members.
    static func meeting(_ event: MeetingEvent, _ meeting: Meeting, _ position: RoomPosition) throws -> [UInt8] {
        if position.room == RoomID.lobby {
            var object = header(position, kind: "notice")
            object["notice"] = "meeting_" + event.change.type
            object["meeting"] = RoomID.meeting(meeting.id)
            object["title"] = meeting.title
            object["status"] = meeting.status.rawValue
            object["scheduled_at"] = meeting.scheduledAt.milliseconds
            object["units"] = meeting.invitations.map(\.unit.rawValue)
            return try encode(object)
        }
        var object = header(position, kind: "meeting")
        object["meeting"] = RoomID.meeting(meeting.id)
        object["meeting_event"] = try WireNames.value(event).foundationObject
        return try encode(object)
    }

    /// A person's first connection joined the room, or their last one left.
    static func presence(_ position: RoomPosition, person: PersonID, unit: UnitID, joined: Bool) throws -> [UInt8] {
        var object = header(position, kind: "presence")
        object["presence"] = joined ? "joined" : "left"
        object["person"] = person.rawValue
        object["unit"] = unit.rawValue
        return try encode(object)
    }
}
