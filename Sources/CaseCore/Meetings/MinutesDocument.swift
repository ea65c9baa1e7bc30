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
        for span in meeting.attendance where !(present[span.unit]?.contains(span.person) ?? false) {
            present[span.unit, default: []].append(span.person)
        }
        let apologies = meeting.invitations.filter { present[$0.unit] == nil && $0.response == .apologies }.map(\.unit)
        let absent = meeting.invitations.filter { present[$0.unit] == nil && $0.response != .apologies }.map(\.unit)
        return (present, apologies, absent)
    }

    public static func markdown(_ meeting: Meeting) -> String {
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
                    if let reason = effects.listedSupervision { lines.append("- Listed supervision: \(reason)") }
                }
                for dissent in outcome.dissent { lines.append("- Dissent: \(dissent.unit): \(dissent.reason ?? "")") }
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
    public static func json(_ meeting: Meeting) -> [String: Any] {
        let (present, apologies, absent) = attendance(meeting)
        var object: [String: Any] = [
            "meeting": meeting.id.description, "title": meeting.title, "status": meeting.status.rawValue,
            "scheduled_at": meeting.scheduledAt.milliseconds, "convener": meeting.convener.rawValue, "chair": meeting.chair.rawValue,
            "attendance": [
                "present": present.keys.sorted().map { ["unit": $0.rawValue, "people": present[$0]!.map(\.rawValue)] },
                "apologies": apologies.map(\.rawValue), "absent": absent.map(\.rawValue),
            ],
        ]
        if let opened = meeting.openedAt { object["opened_at"] = opened.milliseconds }
        if let adjourned = meeting.adjournedAt { object["adjourned_at"] = adjourned.milliseconds }
        object["items"] = meeting.agenda.map { item -> [String: Any] in
            [
                "item": item.number, "case": item.caseID.description, "description": item.description,
                "outcomes": item.outcomes.map { outcome -> [String: Any] in
                    let proposal = item.proposals.first { $0.version == outcome.version }
                    var entry: [String: Any] = [
                        "version": outcome.version, "proposal": proposal?.text ?? "", "outcome": outcome.kind.rawValue,
                        "agree": outcome.agree.map(\.rawValue), "abstain": outcome.abstain.map(\.rawValue), "object": outcome.object.map(\.rawValue),
                        "entitled": outcome.entitled.map(\.rawValue), "present": outcome.present.map(\.rawValue), "quorum": outcome.quorum,
                        "dissent": outcome.dissent.map { ["unit": $0.unit.rawValue, "reason": $0.reason ?? ""] },
                    ]
                    if let effects = proposal?.effects {
                        if let lead = effects.lead { entry["lead"] = lead.rawValue }
                        if let coHandling = effects.coHandling { entry["co_handling"] = coHandling.map(\.rawValue) }
                        if let deadline = effects.resolutionDeadline { entry["resolution_deadline"] = deadline.description }
                    }
                    return entry
                },
            ]
        }
        if let minutes = meeting.minutes {
            var signOff: [String: Any] = [
                "due_at": minutes.signOffDueAt.milliseconds, "pending": minutes.pending.map(\.rawValue),
                "sign_offs": minutes.signOffs.map { entry -> [String: Any] in
                    var value: [String: Any] = ["unit": entry.unit.rawValue, "person": entry.person.rawValue, "approve": entry.approve, "at": entry.at.milliseconds]
                    if let reason = entry.reason { value["reason"] = reason }
                    return value
                },
            ]
            if let sealed = minutes.sealedAt {
                signOff["sealed_at"] = sealed.milliseconds
                signOff["non_signers"] = minutes.nonSigners.map(\.rawValue)
            }
            object["sign_off"] = signOff
        }
        return object
    }
}
