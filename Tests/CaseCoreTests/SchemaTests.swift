// SchemaTests: the change schemas against the Codable forms they describe. For every kind, a value
// built from the schema (every field, and then only the required ones) decodes as that kind and
// encodes back to the same fields; the sample change of every kind has only fields the schema
// names and all it requires; every enum a field names exists; and the limits are the ones the
// rules check.
import Foundation
import XCTest

@testable import CaseCore

final class SchemaTests: XCTestCase {
    private let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// A valid value of `type` (strings as long as the limit allows, capped for speed).
    private func sample(_ type: SchemaField.FieldType, requiredOnly: Bool) -> Any {
        switch type {
        case .text(let maxLength, _): return String(repeating: "字", count: min(maxLength, 8))
        case .integer(let minimum, _): return minimum
        case .boolean: return true
        case .date: return "2026-12-07"
        case .timestamp: return 1_796_000_000_000
        case .unit: return "u-housing"
        case .person: return "p-wang"
        case .caseID: return 12
        case .meetingID: return 3
        case .choice(let name): return Vocabulary.enums[name]?.first ?? "?"
        case .list(let item, let minItems, _): return Array(repeating: sample(item, requiredOnly: requiredOnly), count: max(minItems, 1))
        case .object(let fields): return object(fields, requiredOnly: requiredOnly)
        }
    }

    private func object(_ fields: [SchemaField], requiredOnly: Bool) -> [String: Any] {
        var result: [String: Any] = [:]
        for field in fields where field.required || !requiredOnly { result[field.name] = sample(field.type, requiredOnly: requiredOnly) }
        return result
    }

    /// Checks that `value` (as JSON) has only the fields `fields` names and every required one,
    /// nested objects and lists of objects too.
    private func check(_ value: Any, against fields: [SchemaField], _ path: String) {
        guard let object = value as? [String: Any] else { return XCTFail("\(path) is not an object") }
        let named = Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0) })
        for key in object.keys { XCTAssertNotNil(named[key], "\(path).\(key) is not in the schema") }
        for field in fields {
            guard let inner = object[field.name] else {
                XCTAssertFalse(field.required, "\(path).\(field.name) is required by the schema but not sent")
                continue
            }
            switch field.type {
            case .object(let nested): check(inner, against: nested, "\(path).\(field.name)")
            case .list(.object(let nested), _, _): for element in inner as? [Any] ?? [] { check(element, against: nested, "\(path).\(field.name)[]") }
            default: break
            }
        }
    }

    private func json(_ value: some Encodable) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: encoder.encode(value)) as? [String: Any])
    }

    func testAValueBuiltFromTheSchemaDecodesAsItsKindAndEncodesBackToTheSameFields() throws {
        for kind in CaseChangeKind.allCases {
            for requiredOnly in [false, true] {
                var value = object(kind.fields(.legal), requiredOnly: requiredOnly)
                value["type"] = kind.rawValue
                let data = try JSONSerialization.data(withJSONObject: value)
                let change: CaseChange
                do { change = try decoder.decode(CaseChange.self, from: data) } catch { XCTFail("\(kind) (required only: \(requiredOnly)): \(error)"); continue }
                XCTAssertEqual(change.kind, kind)
                check(try json(change), against: kind.fields(.legal) + [SchemaField("type", .choice("case_change_kind"))], kind.rawValue)
            }
        }
        for kind in MeetingChangeKind.allCases {
            for requiredOnly in [false, true] {
                var value = object(kind.fields, requiredOnly: requiredOnly)
                value["type"] = kind.rawValue
                let data = try JSONSerialization.data(withJSONObject: value)
                let change: MeetingChange
                do { change = try decoder.decode(MeetingChange.self, from: data) } catch { XCTFail("\(kind) (required only: \(requiredOnly)): \(error)"); continue }
                XCTAssertEqual(change.kind, kind)
                check(try json(change), against: kind.fields + [SchemaField("type", .choice("meeting_change_kind"))], kind.rawValue)
            }
        }
    }

    func testEverySampleChangeHasTheFieldsTheSchemaNames() throws {
        for change in AccessTableTests.everyChange {
            check(try json(change), against: change.kind.fields(.legal) + [SchemaField("type", .choice("case_change_kind"))], change.type)
        }
    }

    func testEveryEnumAFieldNamesExistsWithItsOptions() {
        func walk(_ type: SchemaField.FieldType, _ path: String) {
            switch type {
            case .choice(let name): XCTAssertFalse(Vocabulary.enums[name]?.isEmpty ?? true, "\(path) names the enum `\(name)`, which has no options")
            case .list(let item, _, _): walk(item, path + "[]")
            case .object(let fields): for field in fields { walk(field.type, path + "." + field.name) }
            default: break
            }
        }
        for kind in CaseChangeKind.allCases { walk(.object(kind.fields(.legal)), kind.rawValue) }
        for kind in MeetingChangeKind.allCases { walk(.object(kind.fields), kind.rawValue) }
        XCTAssertEqual(Vocabulary.enums["case_status"], CaseStatus.allCases.map(\.rawValue))
        XCTAssertEqual(Vocabulary.enums["unit_relation"], ["involved", "lead", "co_handling"])
        XCTAssertEqual(Vocabulary.statuses.filter { !$0.open }.map(\.status), ["closed", "routed_out"])
    }

    func testTheLimitsAreTheDeploymentsAndTheOnesTheRulesCheck() throws {
        var limits = TimeLimits.legal
        limits.maxExtensionDays = 20
        guard case .integer(1, 20)? = CaseChangeKind.extensionRequested.fields(limits).first(where: { $0.name == "days" })?.type else {
            return XCTFail("the extension's days follow the deployment's max_extension_days")
        }
        XCTAssertEqual(Vocabulary.policyLimits(limits)["max_extension_days"], 20)
        XCTAssertEqual(Set(Vocabulary.policyLimits(limits).keys), Set(TimeLimits.settings.map(\.0)))

        // The rules accept a value at the schema's limit and refuse one character more.
        guard case .text(let max, _)? = CaseChangeKind.routedOut.fields(.legal).first(where: { $0.name == "destination" })?.type else {
            return XCTFail("destination is text")
        }
        for (length, accepted) in [(max, true), (max + 1, false)] {
            var walker = CaseWalker.at(.registered)
            let refusal = walker.perform(.routedOut(channel: .litigation, destination: String(repeating: "x", count: length), reason: "r"),
                                         by: Fixtures.coordinator)
            XCTAssertEqual(refusal == nil, accepted, "a destination of \(length) characters")
        }
        guard case .integer(_, let days?)? = CaseChangeKind.extensionGranted.fields(.legal).first(where: { $0.name == "days" })?.type else {
            return XCTFail("days is an integer")
        }
        for (value, accepted) in [(days, true), (days + 1, false)] {
            var walker = CaseWalker.at(.inHandling)
            XCTAssertEqual(walker.perform(.extensionGranted(days: value, reason: "r"), by: Fixtures.housingLeader) == nil, accepted, "\(value) days")
        }
    }

    func testTheSchemaEncodesAsDocumented() throws {
        let fields = CaseChangeKind.planSet.fields(.legal)
        let text = String(decoding: try encoder.encode(fields), as: UTF8.self)
        XCTAssertTrue(text.contains(#""name":"measures""#), text)
        XCTAssertTrue(text.contains(#""items":{"max_length":4000,"type":"text"}"#), text)
        XCTAssertTrue(text.contains(#""max_items":50,"min_items":1"#), text)
        XCTAssertTrue(text.contains(#""name":"resolution_deadline","required":true,"type":"date""#), text)
    }
}
