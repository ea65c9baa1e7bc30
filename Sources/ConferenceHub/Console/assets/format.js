// format.js: how the console writes times, deadlines and what happened in a case — dates and times
// in the conference's time zone as people there write them, case events as sentences with the
// field's terms, never as JSON. Values that come from people (reasons, names) stay data: they are
// rendered as text in their own elements.
import { data } from "./dom.js";
import { language, t } from "./i18n.js";

let timeZone = "Asia/Shanghai";
let unitNames = new Map();
let unitTree = [];
let people = [];

export function setTimeZone(zone) {
  timeZone = zone || timeZone;
}

export function conferenceTimeZone() {
  return timeZone;
}

export function setUnits(units) {
  unitNames = new Map(units.map((unit) => [unit.unit, unit.name]));
  // The hierarchy in reading order: each unit after its superior, indented by its depth.
  const children = new Map();
  for (const unit of units) {
    const parent = units.some((other) => other.unit === unit.parent) ? unit.parent : null;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(unit);
  }
  unitTree = [];
  const visit = (parent, depth) => {
    for (const unit of children.get(parent) || []) {
      unitTree.push({ unit: unit.unit, kind: unit.kind, depth });
      if (depth < 8) visit(unit.unit, depth + 1);
    }
  };
  visit(null, 0);
}

/** Every unit, each after its superior, with its depth in the hierarchy. */
export function unitHierarchy() {
  return unitTree;
}

export function setPeople(list) {
  people = list;
}

/** A person's name (their id when unknown). */
export function personName(id) {
  return people.find((person) => person.person === id)?.name ?? id;
}

/** The people of `unit` (with `role`, if given). */
export function peopleOf(unit, role) {
  return people.filter((person) => person.unit === unit && (!role || person.roles.includes(role))).map((person) => person.person);
}

/** A unit's name (its id when unknown). */
export function unitName(id) {
  return unitNames.get(id) ?? id;
}

function locale() {
  return language() === "en" ? "en-GB" : "zh-CN";
}

/** An instant (ISO text or milliseconds) as people in the conference's time zone write it: the
 * date in full with the time, in 24 hours (zh-CN: year, month, day and time; en: 6 December 2026, 14:05). */
export function dateTime(instant) {
  const date = typeof instant === "number" ? new Date(instant) : new Date(String(instant));
  return new Intl.DateTimeFormat(locale(), {
    timeZone, year: "numeric", month: "long", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false,
  }).format(date);
}

/** A calendar date (YYYY-MM-DD, already the conference's) written in full. */
export function day(text) {
  const [year, month, dayOfMonth] = String(text).split("-").map(Number);
  if (!year || !month || !dayOfMonth) return String(text);
  return new Intl.DateTimeFormat(locale(), { timeZone: "UTC", year: "numeric", month: "long", day: "numeric" })
    .format(new Date(Date.UTC(year, month - 1, dayOfMonth)));
}

/** Time left (working days for the limits the law counts so; otherwise days, or hours on the last
 * day), or how long overdue, from seconds left. */
export function timeLeft(seconds, workingDays) {
  if (seconds < 0) return t("deadline.overdue_by", { days: Math.ceil(-seconds / 86400) });
  if (workingDays !== undefined && workingDays !== null) return t("deadline.working_days_left", { days: workingDays });
  if (seconds < 86400) return t("deadline.hours_left", { hours: Math.max(1, Math.floor(seconds / 3600)) });
  return t("deadline.days_left", { days: Math.floor(seconds / 86400) });
}

/** The message `key` as nodes: its words as text, each parameter as a data element. */
export function sentence(key, params = {}) {
  const template = t(key, Object.fromEntries(Object.keys(params).map((name) => [name, `\u0000${name}\u0000`])));
  return template.split("\u0000").map((part, index) => (index % 2 === 1 ? data(params[part]) : part)).filter((part) => part !== "");
}

/** Units' names as a list, with the language's separator. */
export function unitList(list) {
  return (list || []).map(unitName).join(t("list.separator"));
}

const units = unitList;

/** A case event (`case_event` of a room event) as a sentence. */
export function describeCaseEvent(caseEvent) {
  const change = caseEvent.change || {};
  const unit = unitName(caseEvent.actor_unit);
  const actor = caseEvent.actor_person === "system" ? t("actor.system") : unit;
  const assignment = change.assignment || {};
  const lead = unitName(assignment.lead);
  const cohandling = units(assignment.co_handling);
  const key = "event." + change.type;
  switch (change.type) {
    case "registered": return sentence(key, { actor, title: change.registration?.title ?? "" });
    case "negotiation_opened": case "forwarded": return sentence(key, { actor, units: units(change.units) });
    case "assigned": case "negotiation_settled":
      return sentence(cohandling ? key + "_with" : key, { actor, lead, cohandling });
    case "lead_decided": case "lead_reassigned":
      return sentence(key, { actor, lead, rationale: assignment.rationale ?? "" });
    case "negotiation_answered": {
      const answer = change.answer || {};
      const position = answer.position || "decline";
      // A reason and a basis are optional: a clause for each one given, none for one not.
      return [
        ...sentence(`event.negotiation_answered.${position}`, { unit: unitName(change.unit), supports: unitName(answer.supports) }),
        ...(answer.reason ? sentence("clause.reason", { reason: answer.reason }) : []),
        ...(answer.basis ? sentence("clause.basis", { basis: answer.basis }) : []),
      ];
    }
    case "negotiation_disputed": {
      // Why, and who decides: a leader of the lowest common superior unit, else the conference office.
      const dispute = change.dispute || {};
      const decider = dispute.escalated_to ? t("dispute.leader_of", { unit: unitName(dispute.escalated_to) }) : t("dispute.office");
      return sentence(key, { reason: t("dispute." + (dispute.reason || "no_consensus")), decider });
    }
    case "objection_raised": case "extension_refused": case "closed": case "listed_supervision_set": case "listed_supervision_cleared":
      return sentence(key, { actor, reason: change.reason ?? "" });
    case "objection_upheld": return sentence(key, { units: units(change.units), rationale: change.rationale ?? "" });
    case "objection_rejected": return sentence(key, { rationale: change.rationale ?? "" });
    case "accepted": case "handling_started": case "review_requested": case "re_review_requested": case "escalation_overdue":
      return sentence(key, { actor });
    case "plan_set": {
      const plan = change.plan || {};
      return sentence(key, {
        actor, leader: plan.responsible_leader ? personName(plan.responsible_leader) : "",
        person: plan.responsible_person ? personName(plan.responsible_person) : "",
        deadline: plan.resolution_deadline ? day(plan.resolution_deadline) : "",
      });
    }
    case "extension_requested": case "extension_granted": return sentence(key, { actor, days: change.days, reason: change.reason ?? "" });
    case "answered": case "answer_drafted":
      return sentence(key, { actor, decision: t("decision." + (change.answer?.decision || "explain")) });
    case "satisfaction_rated": return sentence(key, { satisfaction: t("satisfaction." + change.satisfaction) });
    case "reviewed": case "re_reviewed": return sentence(change.opinion?.upheld ? key + ".upheld" : key + ".overturned", { opinion: change.opinion?.opinion ?? "" });
    case "routed_out": return sentence(key, { actor, channel: t("route." + change.channel), destination: change.destination ?? "", reason: change.reason ?? "" });
    case "task_assigned": {
      const task = change.task || {};
      return sentence(key, { actor, to: unitName(task.unit), what: task.what ?? "", due: task.due ? day(task.due) : "" });
    }
    case "task_acknowledged": case "task_accepted": return sentence(key, { actor, task: change.task });
    case "task_progress": return sentence(key, { actor, task: change.task, text: change.report?.text ?? "" });
    case "task_done": return sentence(key, { actor, task: change.task, result: change.result ?? "" });
    case "task_returned": return sentence(key, { actor, task: change.task, reason: change.reason ?? "" });
    case "answer_cosigned": return sentence(key, { actor, version: change.version });
    case "answer_objected": return sentence(key, { actor, version: change.version, reason: change.reason ?? "" });
    case "supervision_opened": {
      const demand = change.demand || {};
      return sentence(key, { actor, to: unitName(demand.unit), demand: demand.demand ?? "", due: demand.due ? day(demand.due) : "" });
    }
    case "supervision_answered": return sentence(key, { actor, item: change.item, text: change.text ?? "" });
    case "supervision_escalated": return sentence(key, { item: change.item });
    case "meeting_decision": return sentence(key, {});
    default: return sentence("event.other", { actor });
  }
}
