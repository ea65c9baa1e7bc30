// DemoConference: a demonstration conference for a first look (`init --demo`, `serve --demo`),
// made on request in a new data directory and never by default. A city's joint conference: its
// office, the city government and a district, five departments; a coordinator, an auditor,
// leaders and officers with one-time passwords (returned once, to be printed once); cases at
// different stages, one of them in a live dispute over who leads; and a joint meeting convened
// for tomorrow on that dispute. Everything is made through the store, as the hub makes it, by
// the people who would do it.
import CaseCore
import Foundation

enum DemoConference {
    struct Member {
        let id: String
        let name: String
        let unit: String
        let roles: Set<Role>
        /// What the README and the printout call this person's part.
        let part: String
    }

    /// A person made, with the one-time password to print once.
    struct SignIn {
        let member: Member
        let password: String
    }

    static let units: [(id: String, name: String, kind: UnitKind, parent: String?)] = [
        ("city-government", "市人民政府", .government, nil),
        ("housing", "市住房和城乡建设局", .department, "city-government"),
        ("hrss", "市人力资源和社会保障局", .department, "city-government"),
        ("natural-resources", "市自然资源和规划局", .department, "city-government"),
        ("market", "市市场监督管理局", .department, "city-government"),
        ("finance", "市财政局", .department, "city-government"),
        ("dongcheng", "东城区人民政府", .government, "city-government"),
        ("dongcheng-housing", "东城区住房和城乡建设局", .department, "dongcheng"),
    ]

    static let members: [Member] = [
        Member(id: "wangfang", name: "王芳", unit: DataDirectory.officeUnit.rawValue, roles: [.coordinator], part: "联席会议办公室协调员"),
        Member(id: "zhaomin", name: "赵敏", unit: DataDirectory.officeUnit.rawValue, roles: [.auditor], part: "督查审计人员（只读）"),
        Member(id: "lijianguo", name: "李建国", unit: "city-government", roles: [.leader], part: "市政府分管领导，主持联席会议"),
        Member(id: "zhangwei", name: "张伟", unit: "housing", roles: [.officer], part: "市住建局经办人"),
        Member(id: "liuyang", name: "刘洋", unit: "housing", roles: [.leader], part: "市住建局领导"),
        Member(id: "chenjing", name: "陈静", unit: "hrss", roles: [.officer], part: "市人社局经办人"),
        Member(id: "yangfan", name: "杨帆", unit: "hrss", roles: [.leader], part: "市人社局领导"),
        Member(id: "zhouqiang", name: "周强", unit: "natural-resources", roles: [.officer], part: "市自然资源和规划局经办人"),
        Member(id: "wuxia", name: "吴霞", unit: "market", roles: [.officer], part: "市市场监管局经办人"),
        Member(id: "sunli", name: "孙丽", unit: "finance", roles: [.officer], part: "市财政局经办人"),
        Member(id: "huangtao", name: "黄涛", unit: "dongcheng", roles: [.leader], part: "东城区政府领导"),
        Member(id: "xuming", name: "徐明", unit: "dongcheng-housing", roles: [.officer], part: "东城区住建局经办人"),
    ]

    /// Makes the demonstration conference in `store` (a new one: only the office and the admin
    /// exist). Returns each person with their one-time password.
    static func make(in store: CaseStore, now: Date = Date()) async throws -> [SignIn] {
        for unit in units {
            try await store.addUnit(Unit(id: UnitID(unit.id), name: unit.name, kind: unit.kind, parent: unit.parent.map { UnitID($0) }))
        }
        var signIns: [SignIn] = []
        for member in members {
            try await store.addPerson(Person(id: PersonID(member.id), name: member.name, unit: UnitID(member.unit), roles: member.roles))
            let password = PasswordRules.makeInitial()
            try await store.setPassword(person: PersonID(member.id), hash: try PasswordHash.make(password), mustChange: true, at: Timestamp(now))
            signIns.append(SignIn(member: member, password: password))
        }
        try await makeCases(in: store, now: now)
        return signIns
    }

    private static func actor(_ id: String) -> Actor {
        let member = members.first { $0.id == id }!
        return Actor(person: PersonID(member.id), unit: UnitID(member.unit), roles: member.roles)
    }

    private static func makeCases(in store: CaseStore, now: Date) async throws {
        let zone = store.policy.timeZone, today = zone.localDate(of: now)
        let coordinator = actor("wangfang")
        func register(_ title: String, _ summary: String, _ category: CaseCategory, _ channel: SourceChannel, daysAgo: Int,
                      _ units: [String], petitioner: String, contact: String) async throws -> CaseID {
            let registration = Registration(
                title: title, summary: summary, category: category, channel: channel, receivedOn: today.adding(days: -daysAgo),
                involvedUnits: units.map { UnitID($0) }, petitioner: Petitioner(name: petitioner, contact: contact))
            let registered = try await store.register(registration, by: coordinator, open: true)
            return registered.caseID
        }
        func act(_ id: CaseID, _ person: String, _ change: CaseChange) async throws {
            _ = try await store.perform(change, on: id, by: actor(person))
        }

        // In negotiation: the units have not answered yet.
        _ = try await register(
            "幸福里小区加装电梯补贴迟迟未发放", "幸福里小区3号楼住户反映，加装电梯已于今年6月竣工验收，市级补贴至今未拨付，施工方催要尾款。",
            .claim, .online, daysAgo: 1, ["housing", "finance"], petitioner: "刘某某", contact: "139****2841")

        // A live dispute: both departments claim the lead.
        let wages = try await register(
            "城南安置房项目农民工工资拖欠", "城南安置房项目42名农民工反映，总包单位拖欠2026年8月至10月工资约126万元，多次讨要未果。",
            .claim, .visit, daysAgo: 3, ["hrss", "housing"], petitioner: "王某某等42人", contact: "137****0356")
        try await act(wages, "chenjing", .negotiationAnswered(unit: UnitID("hrss"), answer: .claim))
        try await act(wages, "zhangwei", .negotiationAnswered(unit: UnitID("housing"), answer: .claim))

        // Settled: natural resources leads, finance co-handles; accepted.
        let land = try await register(
            "东郊村集体土地征收补偿标准异议", "东郊村村民对集体土地征收补偿标准有异议，认为青苗补偿未按最新标准计算。",
            .claim, .letter, daysAgo: 6, ["natural-resources", "finance"], petitioner: "赵某某", contact: "135****7720")
        try await act(land, "zhouqiang", .negotiationAnswered(unit: UnitID("natural-resources"), answer: .claim))
        try await act(land, "sunli", .negotiationAnswered(unit: UnitID("finance"), answer: .cohandle))
        try await act(land, "zhouqiang", .accepted)

        // In handling with a plan and a task (one unit: assigned by the office).
        let noise = try await register(
            "老旧小区改造施工夜间噪声扰民", "和平街道老旧小区改造工地连续多日夜间22时后施工，噪声影响周边居民休息。",
            .suggestion, .phone, daysAgo: 8, ["dongcheng-housing"], petitioner: "陈某", contact: "186****4419")
        try await act(noise, "xuming", .accepted)
        try await act(noise, "xuming", .handlingStarted)
        try await act(noise, "xuming", .planSet(HandlingPlan(
            responsibleLeader: PersonID("huangtao"), responsiblePerson: PersonID("xuming"),
            measures: ["约谈施工单位，明确夜间停工时段", "街道每晚巡查并公示投诉电话"], resolutionDeadline: today.adding(days: 20))))

        // Answered: the market regulator gave its written answer.
        let deposit = try await register(
            "商铺租赁押金退还纠纷", "某商业广场商户反映，租约到期后出租方以装修损坏为由拒退押金3万元。",
            .claim, .online, daysAgo: 12, ["market"], petitioner: "孙某某", contact: "158****6602")
        try await act(deposit, "wuxia", .accepted)
        try await act(deposit, "wuxia", .handlingStarted)
        try await act(deposit, "wuxia", .answered(Answer(
            request: "要求出租方退还租赁押金3万元", factsAndReasons: "经现场核查及双方调解，出租方同意扣除修复费用2,400元后退还其余押金。",
            decision: .support, legalBasis: "《中华人民共和国民法典》第七百零八条")))

        // Closed: answered, rated satisfied, closed by the office.
        let fees = try await register(
            "物业服务费上调未公示", "锦绣花园业主反映，物业公司未经公示将物业服务费由每平方米1.2元上调至1.6元。",
            .claim, .letter, daysAgo: 20, ["housing"], petitioner: "周某", contact: "139****1187")
        try await act(fees, "zhangwei", .accepted)
        try await act(fees, "zhangwei", .handlingStarted)
        try await act(fees, "zhangwei", .answered(Answer(
            request: "要求物业公司停止违规上调物业服务费", factsAndReasons: "经核查，物业公司未履行公示程序，已责令其恢复原收费标准并退还多收费用。",
            decision: .support, legalBasis: "《物业管理条例》第四十一条")))
        try await act(fees, "wangfang", .satisfactionRated(.satisfied))
        try await act(fees, "wangfang", .closed(reason: "已答复，信访人表示满意"))

        // A joint meeting tomorrow afternoon on the disputed case, chaired by the city's leader.
        let tomorrow = zone.startOfDay(today.adding(days: 1)).addingTimeInterval(15 * 3600)
        _ = try await store.convene(Convening(
            title: "城南安置房项目农民工工资拖欠案联席会商", scheduledAt: Timestamp(tomorrow), chair: PersonID("lijianguo"),
            invited: ["hrss", "housing", "finance"].map { Convening.Invitee(unit: UnitID($0), required: $0 != "finance") },
            agenda: [Convening.AgendaEntry(caseID: wages, description: "确定牵头单位和配合单位，明确工资清偿时限")]),
            by: actor("lijianguo"))
    }
}
