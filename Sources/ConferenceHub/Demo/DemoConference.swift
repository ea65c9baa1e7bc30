// DemoConference: a demonstration conference for a first look (`init --demo`, `serve --demo`),
// made on request in a new data directory and never by default. A city's joint conference: its
// office, the city government and a district, five departments; a coordinator, an auditor,
// leaders and officers with one-time passwords (returned once, to be printed once); cases at
// different stages over the last weeks, one of them in a live dispute over who leads; a joint
// meeting held yesterday, its decision and sealed minutes in the decision record; and a joint
// meeting convened for tomorrow on the dispute. Everything is made through the store, as the hub
// makes it, by the people who would do it, each at its moment (the store's clock is set to it).
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
    static func make(in store: CaseStore, clock: ManualClock, now: Date = Date()) async throws -> [SignIn] {
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
        try await makeCases(in: store, clock: clock, now: now)
        return signIns
    }

    private static func actor(_ id: String) -> Actor {
        let member = members.first { $0.id == id }!
        return Actor(person: PersonID(member.id), unit: UnitID(member.unit), roles: member.roles)
    }

    /// One step of the demonstration's history: when, and what (given the cases registered so far).
    private struct Step {
        let at: Date
        let run: (inout [String: CaseID]) async throws -> Void
    }

    /// The cases, each registered and carried on at its own moment of the last weeks (the clock of
    /// the store is set to each moment in turn), so that their limits stand where a conference's
    /// would on an ordinary day: some close to their end, the earliest case registered first.
    private static func makeCases(in store: CaseStore, clock: ManualClock, now: Date) async throws {
        let zone = store.policy.timeZone, today = zone.localDate(of: now)
        /// `days` before today at `hour` o'clock, in the conference's time zone.
        func at(_ days: Int, _ hour: Double) -> Date { zone.startOfDay(today.adding(days: -days)).addingTimeInterval(hour * 3600) }
        var steps: [Step] = []
        func register(_ name: String, at moment: Date, _ title: String, _ summary: String, _ category: CaseCategory, _ channel: SourceChannel,
                      _ units: [String], petitioner: String, contact: String) {
            steps.append(Step(at: moment) { cases in
                let registration = Registration(
                    title: title, summary: summary, category: category, channel: channel, receivedOn: zone.localDate(of: moment).adding(days: -1),
                    involvedUnits: units.map { UnitID($0) }, petitioner: Petitioner(name: petitioner, contact: contact))
                let registered = try await store.register(registration, by: actor("wangfang"), open: true)
                cases[name] = registered.caseID
            })
        }
        func act(_ name: String, at moment: Date, _ person: String, _ change: CaseChange) {
            steps.append(Step(at: moment) { cases in _ = try await store.perform(change, on: cases[name]!, by: actor(person)) })
        }

        // In handling for six weeks, with a plan and its measures (its handling limit well used).
        register("noise", at: at(45, 14), "老旧小区改造施工夜间噪声扰民", "和平街道老旧小区改造工地连续多日夜间22时后施工，噪声影响周边居民休息。",
                 .suggestion, .phone, ["dongcheng-housing"], petitioner: "陈某", contact: "186****4419")
        act("noise", at: at(44, 9.5), "xuming", .accepted)
        act("noise", at: at(44, 9.6), "xuming", .handlingStarted)
        act("noise", at: at(43, 10), "xuming", .planSet(HandlingPlan(
            responsibleLeader: PersonID("huangtao"), responsiblePerson: PersonID("xuming"),
            measures: ["约谈施工单位，明确夜间停工时段", "街道每晚巡查并公示投诉电话"], resolutionDeadline: today.adding(days: 14))))

        // Closed: answered, rated satisfied, closed by the office.
        register("fees", at: at(25, 9.5), "物业服务费上调未公示", "锦绣花园业主反映，物业公司未经公示将物业服务费由每平方米1.2元上调至1.6元。",
                 .claim, .letter, ["housing"], petitioner: "周某", contact: "139****1187")
        act("fees", at: at(24, 10), "zhangwei", .accepted)
        act("fees", at: at(24, 10.1), "zhangwei", .handlingStarted)
        act("fees", at: at(9, 16), "zhangwei", .answered(Answer(
            request: "要求物业公司停止违规上调物业服务费", factsAndReasons: "经核查，物业公司未履行公示程序，已责令其恢复原收费标准并退还多收费用。",
            decision: .support, legalBasis: "《物业管理条例》第四十一条")))
        act("fees", at: at(3, 10), "wangfang", .satisfactionRated(.satisfied))
        act("fees", at: at(3, 10.1), "wangfang", .closed(reason: "已答复，信访人表示满意"))

        // Answered: the market regulator gave its written answer.
        register("deposit", at: at(12, 10), "商铺租赁押金退还纠纷", "某商业广场商户反映，租约到期后出租方以装修损坏为由拒退押金3万元。",
                 .claim, .online, ["market"], petitioner: "孙某某", contact: "158****6602")
        act("deposit", at: at(11, 9), "wuxia", .accepted)
        act("deposit", at: at(11, 9.1), "wuxia", .handlingStarted)
        act("deposit", at: at(2, 15), "wuxia", .answered(Answer(
            request: "要求出租方退还租赁押金3万元", factsAndReasons: "经现场核查及双方调解，出租方同意扣除修复费用2,400元后退还其余押金。",
            decision: .support, legalBasis: "《中华人民共和国民法典》第七百零八条")))

        // Settled: natural resources leads, finance co-handles; accepted. (The joint meeting of
        // yesterday decided its measures: `holdMeeting`.)
        register("land", at: at(8, 11), "东郊村集体土地征收补偿标准异议", "东郊村村民对集体土地征收补偿标准有异议，认为青苗补偿未按最新标准计算。",
                 .claim, .letter, ["natural-resources", "finance"], petitioner: "赵某某", contact: "135****7720")
        act("land", at: at(7, 10), "zhouqiang", .negotiationAnswered(unit: UnitID("natural-resources"), answer: .claim))
        act("land", at: at(7, 15), "sunli", .negotiationAnswered(unit: UnitID("finance"), answer: .cohandle))
        act("land", at: at(6, 9), "zhouqiang", .accepted)

        // A live dispute: both departments claim the lead; the decision is due soon.
        register("wages", at: at(6, 9), "城南安置房项目农民工工资拖欠", "城南安置房项目42名农民工反映，总包单位拖欠2026年8月至10月工资约126万元，多次讨要未果。",
                 .claim, .visit, ["hrss", "housing"], petitioner: "王某某等42人", contact: "137****0356")
        act("wages", at: at(5, 10), "chenjing", .negotiationAnswered(unit: UnitID("hrss"), answer: .claim))
        act("wages", at: at(5, 11), "zhangwei", .negotiationAnswered(unit: UnitID("housing"), answer: .claim))

        // In negotiation: the units have not answered, and the limit is running.
        register("elevator", at: at(4, 15), "幸福里小区加装电梯补贴迟迟未发放", "幸福里小区3号楼住户反映，加装电梯已于今年6月竣工验收，市级补贴至今未拨付，施工方催要尾款。",
                 .claim, .online, ["housing", "finance"], petitioner: "刘某某", contact: "139****2841")

        var cases: [String: CaseID] = [:]
        for step in steps.sorted(by: { $0.at < $1.at }) {
            clock.set(Timestamp(step.at))
            try await step.run(&cases)
        }

        // A joint meeting held yesterday afternoon on the land case: the measures and the deadline
        // adopted by consensus, the minutes signed off by both units and sealed (the decision
        // record's first entries).
        try await holdMeeting(on: cases["land"]!, in: store, clock: clock, at: at(1, 15), today: today)

        // A joint meeting tomorrow afternoon on the disputed case, chaired by the city's leader.
        clock.set(Timestamp(now))
        _ = try await store.convene(Convening(
            title: "城南安置房项目农民工工资拖欠案联席会商", scheduledAt: Timestamp(at(-1, 15)), chair: PersonID("lijianguo"),
            invited: ["hrss", "housing", "finance"].map { Convening.Invitee(unit: UnitID($0), required: $0 != "finance") },
            agenda: [Convening.AgendaEntry(caseID: cases["wages"]!, description: "确定牵头单位和配合单位，明确工资清偿时限")]),
            by: actor("lijianguo"))
    }

    private static func holdMeeting(on land: CaseID, in store: CaseStore, clock: ManualClock, at start: Date, today: LocalDate) async throws {
        let chair = actor("lijianguo"), lead = actor("zhouqiang"), finance = actor("sunli")
        clock.set(Timestamp(start.addingTimeInterval(-3 * 3600)))
        let id = try await store.convene(Convening(
            title: "东郊村征地补偿标准异议案联席会商", scheduledAt: Timestamp(start), chair: chair.person,
            invited: ["natural-resources", "finance"].map { Convening.Invitee(unit: UnitID($0), required: true) },
            agenda: [Convening.AgendaEntry(caseID: land, description: "明确青苗补偿核定标准和差额资金来源")]),
            by: actor("wangfang")).meetingID
        var minutes = 0.0
        func change(_ change: MeetingChange, by actor: Actor) async throws {
            // The session from the scheduled time, a few minutes an act; the sign-offs an hour on.
            clock.set(Timestamp(start.addingTimeInterval(minutes * 60)))
            minutes += 4
            _ = try await store.performMeeting(change, on: id, by: actor)
        }
        try await change(.sessionOpened, by: chair)
        for person in [chair, lead, finance] {
            try await change(.attendance(person: person.person, unit: person.unit, joined: true), by: .system)
        }
        try await change(.itemOpened(item: 1), by: chair)
        try await change(.proposalTabled(
            item: 1, text: "按2026年标准重新核定东郊村青苗补偿，差额由市财政局在30日内拨付。",
            effects: ProposalEffects(measures: ["按2026年标准重新核定青苗补偿", "市财政局30日内拨付补偿差额"], resolutionDeadline: today.adding(days: 30))),
            by: chair)
        for person in [lead, finance] { try await change(.positionStated(item: 1, version: 1, position: .agree, reason: nil), by: person) }
        try await change(.proposalClosed(item: 1, closing: .close, outcome: nil), by: chair)
        try await change(.itemClosed(item: 1), by: chair)
        try await change(.adjourned, by: chair)
        minutes += 60
        let participants = try await store.meeting(id)?.minutes?.participants ?? []
        for unit in participants {
            guard let member = members.first(where: { UnitID($0.unit) == unit }) else { continue }
            try await change(.minutesSignedOff(approve: true, reason: nil), by: actor(member.id))
        }
    }
}
