// MinutesDocument: the minutes (纪要) of a meeting as Markdown and as JSON — meeting facts,
// attendance (present, apologies, absent), each agenda item and its outcome with lead unit,
// co-handling units and deadline, any dissent, and the sign-offs. Derived from the meeting's state
// alone, so the same state always gives the same bytes (the seal records their hash).
import Foundation

public enum MinutesDocument {
    private static func time(_ timestamp: Timestamp?) -> String {
        guard let timestamp else { return "—" }
        return Date.ISO8601FormatStyle(includingFractionalSeconds: false).format(timestamp.date)
    }

    /// Attendance by unit: present (with people), apologies, absent.
    public static func attendance(_ meeting: Meeting) -> (present: [UnitID: [PersonID]], apologies: [UnitID], absent: [UnitID]) {
        var present: [UnitID: [PersonID]] = [:]
        for span in meeting.attendance where span.isMember && !(present[span.unit]?.contains(span.person) ?? false) {
            present[span.unit, default: []].append(span.person)
        }
        let apologies = meeting.invitations.filter { present[$0.unit] == nil && $0.response == .apologies }.map(\.unit)
        let absent = meeting.invitations.filter { present[$0.unit] == nil && $0.response != .apologies }.map(\.unit)
        return (present, apologies, absent)
    }

    /// The current Markdown layout. 2 (0.3.0) names the responsible person of a decision and the
    /// person who stated each dissent; layout 1 did not, and stays what minutes sealed in it are
    /// written in, so that their `minutes_sha256` still verifies.
    public static let layout = 2

    /// The layout `meeting`'s minutes are written in: the one sealed, else the current one.
    static func layout(of meeting: Meeting) -> Int {
        guard let minutes = meeting.minutes, minutes.sealedAt != nil else { return layout }
        return minutes.layout ?? 1
    }

    public static func markdown(_ meeting: Meeting) -> String {
        let layout = layout(of: meeting)
        var lines: [String] = []
        lines.append("# Minutes: \(meeting.title) (\(meeting.id))")
        lines.append("")
        lines.append("- Scheduled: \(time(meeting.scheduledAt))")
        lines.append("- Session: \(time(meeting.openedAt)) to \(time(meeting.adjournedAt))")
        lines.append("- Convener: \(meeting.convener); chair: \(meeting.chair)")
        lines.append("- Status: \(meeting.status.rawValue)")
        lines.append("")
        let (present, apologies, absent) = attendance(meeting)
        lines.append("## Attendance")
        lines.append("")
        for unit in present.keys.sorted() {
            let required = meeting.invitation(unit)?.required == true ? "required" : (meeting.invitation(unit) == nil ? "not invited" : "optional")
            lines.append("- Present: \(unit) (\(required)): \(present[unit]!.map(\.rawValue).joined(separator: ", "))")
        }
        for person in meeting.staff { lines.append("- Staff (conference office): \(person)") }
        for unit in apologies { lines.append("- Apologies: \(unit)") }
        for unit in absent { lines.append("- Absent: \(unit)") }
        lines.append("")
        lines.append("## Agenda")
        for item in meeting.agenda {
            lines.append("")
            lines.append("### \(item.number). \(item.caseID): \(item.description)")
            if item.outcomes.isEmpty { lines.append(""); lines.append("No outcome.") }
            for outcome in item.outcomes {
                let proposal = item.proposals.first { $0.version == outcome.version }
                lines.append("")
                lines.append("- Proposal (version \(outcome.version)): \(proposal?.text ?? "")")
                lines.append("- Outcome: \(outcome.kind.rawValue) at \(time(outcome.at)); quorum \(outcome.quorum ? "present" : "absent")")
                lines.append("- Tally: agree \(list(outcome.agree)); abstain \(list(outcome.abstain)); object \(list(outcome.object))")
                lines.append("- Entitled: \(list(outcome.entitled)); present: \(list(outcome.present))")
                if let effects = proposal?.effects, outcome.kind == .adoptedByConsensus || outcome.kind == .decidedByChair {
                    if let lead = effects.lead { lines.append("- Lead unit: \(lead)") }
                    if let coHandling = effects.coHandling { lines.append("- Co-handling units: \(list(coHandling))") }
                    if let deadline = effects.resolutionDeadline { lines.append("- Resolution deadline: \(deadline)") }
                    if let measures = effects.measures { lines.append("- Measures: \(measures.joined(separator: "; "))") }
                    if let leader = effects.responsibleLeader { lines.append("- Responsible leader: \(leader)") }
                    if layout >= 2, let person = effects.responsiblePerson { lines.append("- Responsible person: \(person)") }
                    if let reason = effects.listedSupervision { lines.append("- Listed supervision: \(reason)") }
                }
                for dissent in outcome.dissent {
                    lines.append(layout >= 2 ? "- Dissent: \(dissent.unit) (\(dissent.person)): \(dissent.reason ?? "")" : "- Dissent: \(dissent.unit): \(dissent.reason ?? "")")
                }
            }
        }
        if let minutes = meeting.minutes {
            lines.append("")
            lines.append("## Sign-off")
            lines.append("")
            for signOff in minutes.signOffs {
                lines.append("- \(signOff.unit): \(signOff.approve ? "approved" : "objected: \(signOff.reason ?? "")") (\(signOff.person), \(time(signOff.at)))")
            }
            for unit in minutes.pending where minutes.sealedAt == nil { lines.append("- \(unit): pending (due \(time(minutes.signOffDueAt)))") }
            if let sealed = minutes.sealedAt {
                lines.append("- Sealed \(time(sealed))" + (minutes.nonSigners.isEmpty ? "" : "; did not sign off: \(list(minutes.nonSigners))"))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func list(_ units: [UnitID]) -> String { units.isEmpty ? "none" : units.map(\.rawValue).joined(separator: ", ") }

    /// The minutes as a JSON object (snake_case keys).
    /// The minutes as a value, for the JSON exports (`meeting.minutes`, `conference-hub minutes
    /// --format json`); encoded with snake_case keys, as every CaseCore value on the wire.
    public static func record(_ meeting: Meeting) -> MinutesRecord {
        let (present, apologies, absent) = attendance(meeting)
        let items = meeting.agenda.map { item in
            MinutesRecord.Item(
                item: item.number, case: item.caseID.description, description: item.description,
                outcomes: item.outcomes.map { outcome in
                    let proposal = item.proposals.first { $0.version == outcome.version }
                    let effects = proposal?.effects
                    return MinutesRecord.Outcome(
                        version: outcome.version, proposal: proposal?.text ?? "", outcome: outcome.kind.rawValue,
                        agree: outcome.agree.map(\.rawValue), abstain: outcome.abstain.map(\.rawValue), object: outcome.object.map(\.rawValue),
                        entitled: outcome.entitled.map(\.rawValue), present: outcome.present.map(\.rawValue), quorum: outcome.quorum,
                        dissent: outcome.dissent.map { .init(unit: $0.unit.rawValue, person: $0.person.rawValue, reason: $0.reason ?? "") },
                        lead: effects?.lead?.rawValue, coHandling: effects?.coHandling?.map(\.rawValue),
                        resolutionDeadline: effects?.resolutionDeadline?.description, measures: effects?.measures,
                        responsibleLeader: effects?.responsibleLeader?.rawValue, responsiblePerson: effects?.responsiblePerson?.rawValue,
                        listedSupervision: effects?.listedSupervision)
                })
        }
        let signOff = meeting.minutes.map { minutes in
            MinutesRecord.SignOff(
                dueAt: minutes.signOffDueAt.milliseconds, pending: minutes.pending.map(\.rawValue),
                signOffs: minutes.signOffs.map {
                    .init(unit: $0.unit.rawValue, person: $0.person.rawValue, approve: $0.approve, at: $0.at.milliseconds, reason: $0.reason)
                },
                sealedAt: minutes.sealedAt?.milliseconds, nonSigners: minutes.sealedAt == nil ? nil : minutes.nonSigners.map(\.rawValue))
        }
        return MinutesRecord(
            meeting: meeting.id.description, title: meeting.title, status: meeting.status.rawValue,
            scheduledAt: meeting.scheduledAt.milliseconds, convener: meeting.convener.rawValue, chair: meeting.chair.rawValue,
            attendance: .init(present: present.keys.sorted().map { .init(unit: $0.rawValue, people: present[$0]!.map(\.rawValue)) },
                              staff: meeting.staff.map(\.rawValue), apologies: apologies.map(\.rawValue), absent: absent.map(\.rawValue)),
            openedAt: meeting.openedAt?.milliseconds, adjournedAt: meeting.adjournedAt?.milliseconds, items: items, signOff: signOff)
    }
}

/// The minutes as the JSON exports carry them.
public struct MinutesRecord: Encodable, Sendable {
    public struct Attendance: Encodable, Sendable {
        public struct Present: Encodable, Sendable {
            public let unit: String
            public let people: [String]
        }

        public let present: [Present]
        /// The conference office's staff who attended (not a unit present).
        public let staff: [String]
        public let apologies: [String]
        public let absent: [String]
    }

    public struct Item: Encodable, Sendable {
        public let item: Int
        public let `case`: String
        public let description: String
        public let outcomes: [Outcome]
    }

    public struct Outcome: Encodable, Sendable {
        public struct Dissent: Encodable, Sendable {
            public let unit: String
            public let person: String
            public let reason: String
        }

        public let version: Int
        public let proposal: String
        public let outcome: String
        public let agree: [String]
        public let abstain: [String]
        public let object: [String]
        public let entitled: [String]
        public let present: [String]
        public let quorum: Bool
        public let dissent: [Dissent]
        public let lead: String?
        public let coHandling: [String]?
        public let resolutionDeadline: String?
        public let measures: [String]?
        public let responsibleLeader: String?
        public let responsiblePerson: String?
        /// The reason of listed supervision (挂牌督办) the decision sets.
        public let listedSupervision: String?
    }

    public struct SignOff: Encodable, Sendable {
        public struct Entry: Encodable, Sendable {
            public let unit: String
            public let person: String
            public let approve: Bool
            public let at: Int64
            public let reason: String?
        }

        public let dueAt: Int64
        public let pending: [String]
        public let signOffs: [Entry]
        public let sealedAt: Int64?
        public let nonSigners: [String]?
    }

    public let meeting: String
    public let title: String
    public let status: String
    public let scheduledAt: Int64
    public let convener: String
    public let chair: String
    public let attendance: Attendance
    public let openedAt: Int64?
    public let adjournedAt: Int64?
    public let items: [Item]
    public let signOff: SignOff?
}
