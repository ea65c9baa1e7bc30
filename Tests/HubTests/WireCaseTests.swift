// WireCaseTests: WireCase writes a case exactly as WireNames' renaming of the encoded state gives
// it (the tree the hub built for each case before WireCase), byte for byte in a reply: for a case
// with every field set, and for that case with each field in turn left out or empty. The fixture
// must set every field of the state, of a task and of a supervision item, so that a field added
// to the state and not to WireCase fails here.
import CaseCore
import Foundation
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class WireCaseTests: XCTestCase {
    /// A registration number as a store gives it.
    static func number(_ state: PetitionCase) -> String { "〔2026〕第\(state.id.rawValue)号" }

    /// The oracle: the state encoded, renamed throughout, with its id as `case`, the handling
    /// plan grouped and the ids of tasks and supervision items renamed.
    static func renamedTree(_ state: PetitionCase) throws -> JSONValue {
        guard case .object(var object) = WireNames.canonical(try WireNames.tree(state)) else { return .null }
        object["id"] = nil
        object["case"] = .string(RoomID.case(state.id))
        object["number"] = .string(Self.number(state))
        var plan: [String: JSONValue] = [:]
        for field in ["responsible_leader", "responsible_person", "measures", "resolution_deadline"] {
            if let value = object.removeValue(forKey: field), value != .null, value != .array([]) { plan[field] = value }
        }
        object["plan"] = plan.isEmpty ? .null : .object(plan)
        func renamingIDs(_ list: JSONValue?, to name: String) -> JSONValue? {
            guard case .array(let elements)? = list else { return list }
            return .array(elements.map { element in
                guard case .object(var fields) = element, let id = fields.removeValue(forKey: "id") else { return element }
                fields[name] = id
                return .object(fields)
            })
        }
        object["tasks"] = renamingIDs(object["tasks"], to: "task")
        object["supervision_items"] = renamingIDs(object["supervision_items"], to: "item")
        return .object(object)
    }

    private func everyFieldCase() throws -> PetitionCase {
        let data = try Data(contentsOf: URL(fileURLWithPath: repositoryFile("Tests/HubTests/Fixtures/every-field-case.json")))
        return try JSONDecoder().decode(PetitionCase.self, from: data)
    }

    /// The labels of `value`'s stored properties that are nil or an empty list.
    private func unset(_ value: Any) -> [String] {
        Mirror(reflecting: value).children.compactMap { child in
            let inner = Mirror(reflecting: child.value)
            let empty = inner.displayStyle == .optional ? inner.children.isEmpty : inner.displayStyle == .collection && inner.children.isEmpty
            return empty ? child.label ?? "?" : nil
        }
    }

    private func assertSameBytes(_ state: PetitionCase, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        struct Reply<Case: Encodable>: Encodable { let cases: [Case] }
        let written = String(decoding: try WireCoding.encode(Reply(cases: [WireCase(state, number: Self.number(state))])), as: UTF8.self)
        let renamed = String(decoding: try WireCoding.encode(Reply(cases: [try Self.renamedTree(state)])), as: UTF8.self)
        XCTAssertEqual(written, renamed, what, file: file, line: line)
    }

    func testTheFixtureSetsEveryField() throws {
        let state = try everyFieldCase()
        XCTAssertEqual(unset(state), [], "set these in Tests/HubTests/Fixtures/every-field-case.json (and write them in WireCase)")
        XCTAssertEqual(state.tasks.flatMap(unset), [])
        XCTAssertEqual(state.supervisionItems.flatMap(unset), [])
    }

    func testAWholeCaseIsWrittenAsTheRenamedTree() throws {
        let full = try everyFieldCase()
        try assertSameBytes(full, "every field")
        // Each field left out (or empty) in turn, through the JSON the state is stored as.
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(full)) as? [String: Any])
        for (key, value) in object where key != "id" {
            var without = object
            without[key] = value is [Any] ? [Any]() : nil
            guard let state = try? JSONDecoder().decode(PetitionCase.self, from: JSONSerialization.data(withJSONObject: without)) else { continue }
            try assertSameBytes(state, "without \(key)")
        }
        for (key, empty) in [("tasks", "task"), ("supervisionItems", "item")] {
            let list = try XCTUnwrap(object[key] as? [[String: Any]])
            for field in list[0].keys where field != "id" {
                var element = list[0]
                element[field] = nil
                var changed = object
                changed[key] = [element]
                guard let state = try? JSONDecoder().decode(PetitionCase.self, from: JSONSerialization.data(withJSONObject: changed)) else { continue }
                try assertSameBytes(state, "a \(empty) without \(field)")
            }
        }
        // The plan: nothing planned is null; one measure alone is a plan.
        var unplanned = full
        (unplanned.responsibleLeader, unplanned.responsiblePerson, unplanned.measures, unplanned.resolutionDeadline) = (nil, nil, [], nil)
        try assertSameBytes(unplanned, "no plan")
        XCTAssert(String(decoding: try WireCoding.encode(WireCase(unplanned, number: Self.number(unplanned))), as: UTF8.self).contains(#""plan":null"#))
        var measuresOnly = unplanned
        measuresOnly.measures = ["约谈开发企业"]
        try assertSameBytes(measuresOnly, "measures only")
    }

    /// A page of whole cases is written case by case over the cores and joined: the same bytes as
    /// the page written in one pass, whatever the number of cores, and the same tree through the
    /// command line's encoder.
    func testAPageWrittenInChunksIsThePageWrittenWhole() async throws {
        struct Page: Encodable { let cases: [WireCase]; let next: String? }
        let full = try everyFieldCase()
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(full)) as? [String: Any])
        var states: [PetitionCase] = []
        for (index, key) in object.keys.sorted().enumerated() where key != "id" {
            var without = object
            without[key] = nil
            without["id"] = 1_000 + index
            if let state = try? JSONDecoder().decode(PetitionCase.self, from: JSONSerialization.data(withJSONObject: without)) { states.append(state) }
        }
        states += states.map { state in
            var copy = state
            copy.title = "第二份 " + state.title
            return copy
        }
        XCTAssertGreaterThan(states.count, 2 * ConcurrentChunks.minimumChunk, "enough cases to be split")
        let whole = try WireCoding.encode(Page(cases: states.map { WireCase($0, number: Self.number($0)) }, next: "case-9"))
        for cores in [1, 2, 3, 8] {
            let written = try await ConcurrentChunks.map(states, cores: cores) { chunk in try chunk.map { try EncodedWireValue(WireCase($0, number: Self.number($0))) } }
            let page = try WireCoding.encode(Cases.Output(cases: .full(written), next: "case-9"))
            XCTAssertEqual(String(decoding: page, as: UTF8.self), String(decoding: whole, as: UTF8.self), "\(cores) cores")
            let throughFoundation = try WireCoding.encoder.encode(Cases.Output(cases: .full(written), next: "case-9"))
            XCTAssertEqual(try JSONDecoder().decode(JSONValue.self, from: throughFoundation), try JSONDecoder().decode(JSONValue.self, from: Data(whole)))
        }
    }
}
