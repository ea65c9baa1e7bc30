// Participants: member units (成员单位), the people who act for them, and their roles.

/// What a person may do in the hub (DOMAIN.md; the roles of the CaseCore issue).
public enum Role: String, Codable, Sendable, CaseIterable, Comparable {
    /// Acts for their unit on its cases.
    case officer
    /// Convenes meetings, takes ownership of cases, approves extensions (领导).
    case leader
    /// The conference office (联席办): registers, assigns, supervises.
    case coordinator
    /// Reads everything, changes nothing.
    case auditor
    /// Manages units, people and credentials.
    case admin

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The kind of a member unit.
public enum UnitKind: String, Codable, Sendable, CaseIterable {
    /// The petition bureau or the conference office itself (信访局 / 联席办).
    case petitionBureau = "petition_bureau"
    /// A functional department (housing, finance, police…).
    case department
    /// A district or county government.
    case government
    /// A sub-district office or township (街道 / 乡镇).
    case subdistrict
    /// Anything else.
    case other
}

/// A member unit. Units form a hierarchy through `parent`.
public struct Unit: Codable, Sendable, Equatable, Identifiable {
    public let id: UnitID
    public var name: String
    public var kind: UnitKind
    public var parent: UnitID?

    public init(id: UnitID, name: String, kind: UnitKind, parent: UnitID? = nil) {
        self.id = id
        self.name = name
        self.kind = kind
        self.parent = parent
    }
}

/// A person who acts for a unit.
public struct Person: Codable, Sendable, Equatable, Identifiable {
    public let id: PersonID
    public var name: String
    public var unit: UnitID
    public var roles: Set<Role>

    public init(id: PersonID, name: String, unit: UnitID, roles: Set<Role>) {
        self.id = id
        self.name = name
        self.unit = unit
        self.roles = roles
    }

    /// The actor this person is when they act.
    public var actor: Actor { Actor(person: id, unit: unit, roles: roles) }
}

/// Who is doing something: a person, the unit they act for, and their roles.
public struct Actor: Codable, Sendable, Equatable {
    public let person: PersonID
    public let unit: UnitID
    public let roles: Set<Role>

    public init(person: PersonID, unit: UnitID, roles: Set<Role>) {
        self.person = person
        self.unit = unit
        self.roles = roles
    }

    public func has(_ role: Role) -> Bool { roles.contains(role) }

    /// The hub itself (deadline evaluation, scheduled events).
    public static let system = Actor(person: PersonID("system"), unit: UnitID("system"), roles: [])
}
