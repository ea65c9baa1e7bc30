// SchemaField: one field of a change as the wire carries it — its name, its type, whether it is
// required, and its limits. The change schemas (CaseChangeSchema, MeetingChangeSchema) are lists
// of these; the hub serves them to clients (`schema`), and the console builds its forms and
// checks from them.

/// One field of a change.
public struct SchemaField: Sendable, Equatable, Encodable {
    /// A field's type, with its limits.
    public indirect enum FieldType: Sendable, Equatable {
        /// A string of at most `maxLength` characters, after trimming not empty unless `allowEmpty`.
        case text(maxLength: Int, allowEmpty: Bool = false)
        /// A whole number in `minimum...maximum` (no upper bound when nil).
        case integer(minimum: Int, maximum: Int?)
        case boolean
        /// A calendar date, `YYYY-MM-DD`, in the conference's time zone.
        case date
        /// Milliseconds since 1970-01-01T00:00:00Z.
        case timestamp
        /// A unit id of the directory.
        case unit
        /// A person id of the directory.
        case person
        /// A case id, `case-12`.
        case caseID
        /// A meeting id, `meeting-3`.
        case meetingID
        /// One option of the named enum (`SchemaEnums`).
        case choice(String)
        /// A list of values of one type.
        case list(FieldType, minItems: Int, maxItems: Int)
        /// An object with these fields.
        case object([SchemaField])
    }

    public let name: String
    public let type: FieldType
    public let required: Bool

    public init(_ name: String, _ type: FieldType, required: Bool = true) {
        self.name = name
        self.type = type
        self.required = required
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(name, forKey: .name)
        try container.encode(required, forKey: .required)
        try type.encode(into: &container)
    }

    fileprivate enum Keys: String, CodingKey {
        case name, required, type, maxLength = "max_length", allowEmpty = "allow_empty", minimum, maximum
        case `enum`, items, minItems = "min_items", maxItems = "max_items", fields
    }
}

extension SchemaField.FieldType: Encodable {
    /// The wire name of the type.
    public var name: String {
        switch self {
        case .text: "text"
        case .integer: "integer"
        case .boolean: "boolean"
        case .date: "date"
        case .timestamp: "timestamp"
        case .unit: "unit"
        case .person: "person"
        case .caseID: "case"
        case .meetingID: "meeting"
        case .choice: "choice"
        case .list: "list"
        case .object: "object"
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: SchemaField.Keys.self)
        try encode(into: &container)
    }

    fileprivate func encode(into container: inout KeyedEncodingContainer<SchemaField.Keys>) throws {
        try container.encode(name, forKey: .type)
        switch self {
        case .text(let maxLength, let allowEmpty):
            try container.encode(maxLength, forKey: .maxLength)
            if allowEmpty { try container.encode(true, forKey: .allowEmpty) }
        case .integer(let minimum, let maximum):
            try container.encode(minimum, forKey: .minimum)
            try container.encodeIfPresent(maximum, forKey: .maximum)
        case .boolean, .date, .timestamp, .unit, .person, .caseID, .meetingID:
            break
        case .choice(let name):
            try container.encode(name, forKey: .enum)
        case .list(let item, let minItems, let maxItems):
            try container.encode(item, forKey: .items)
            try container.encode(minItems, forKey: .minItems)
            try container.encode(maxItems, forKey: .maxItems)
        case .object(let fields):
            try container.encode(fields, forKey: .fields)
        }
    }
}
