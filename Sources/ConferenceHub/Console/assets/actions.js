// actions.js: what this person may do with a case now, as buttons, each opening a form with the
// fields its change needs. The list comes from the hub (`case.overview` `actions`: the same rules
// that accept or refuse the change), so the page offers exactly what this person may do in this
// state; the form checks what the hub checks and shows a refusal in words.
import { data, h, replace } from "./dom.js";
import { conferenceTimeZone, peopleOf, personName, unitHierarchy, unitName } from "./format.js";
import { form, today } from "./forms.js";
import { t } from "./i18n.js";
import { changeField, checked, officeUnits } from "./schema.js";

/** A form field of a change of `type`: its checks (required, lengths, ranges, options) from the
 * hub's schema at `path`, the rest (`ui`: control, label, value, visibility) from the page. */
const field = (type, path, ui, words) => checked(changeField(type, path), { name: path.split(".").pop(), ...ui }, words);
const reason = (type, path = "reason", label = "form.reason") => field(type, path, { kind: "area", label });
const upheld = [["true", "review.upheld"], ["false", "review.overturned"]];
const allUnits = () => unitHierarchy().filter((unit) => !officeUnits().includes(unit.unit));

/** The fields of each change and how its values become the change. `c` is the case as the page
 * knows it: {overview, details, identity}. */
const changes = {
  negotiation_answered: {
    fields: (c) => [
      field("negotiation_answered", "answer.position", { kind: "choice", label: "form.position", value: "claim" }, "position."),
      field("negotiation_answered", "answer.supports", { kind: "unit", label: "form.supports",
        options: (c.details.negotiation?.units || []).filter((unit) => unit !== c.identity.unit),
        required: false, hidden: (v) => v.position !== "support", requiredWhen: (v) => v.position === "support" }),
      field("negotiation_answered", "answer.reason", { kind: "area", label: "form.reason", required: false,
        hidden: (v) => v.position !== "decline", requiredWhen: (v) => v.position === "decline" }),
      field("negotiation_answered", "answer.basis", { kind: "area", label: "form.basis", required: false,
        hidden: (v) => v.position !== "decline", requiredWhen: (v) => v.position === "decline" }),
    ],
    change: (v, action, c) => ({
      unit: c.identity.unit,
      answer: {
        position: v.position, supports: v.position === "support" ? v.supports : undefined,
        reason: v.position === "decline" ? v.reason : undefined, basis: v.position === "decline" ? v.basis : undefined,
      },
    }),
  },
  negotiation_opened: { fields: (c) => [unitsField("negotiation_opened", "units", c.details.involved_units)], change: (v) => ({ units: v.units }) },
  assigned: assignment("assigned", (c) => c.details.involved_units),
  lead_decided: assignment("lead_decided", (c) => c.details.negotiation?.units || c.details.involved_units),
  lead_reassigned: assignment("lead_reassigned", () => allUnits().map((unit) => unit.unit)),
  forwarded: { fields: () => [unitsField("forwarded", "units", allUnits())], change: (v) => ({ units: v.units }) },
  objection_raised: { fields: () => [reason("objection_raised")], change: (v) => ({ reason: v.reason }) },
  objection_upheld: {
    fields: () => [unitsField("objection_upheld", "units", allUnits(), "form.reroute_units"), reason("objection_upheld", "rationale", "form.rationale")],
    change: (v) => ({ units: v.units, rationale: v.rationale }),
  },
  objection_rejected: { fields: () => [reason("objection_rejected", "rationale", "form.rationale")], change: (v) => ({ rationale: v.rationale }) },
  accepted: { fields: () => [], change: () => ({}), intro: "form.accepted_intro" },
  handling_started: { fields: () => [], change: () => ({}) },
  plan_set: {
    fields: (c) => [
      field("plan_set", "plan.responsible_leader", { kind: "person", label: "form.responsible_leader", options: peopleOf(c.overview.lead, "leader"),
        value: c.details.plan?.responsible_leader }),
      field("plan_set", "plan.responsible_person", { kind: "person", label: "form.responsible_person", options: peopleOf(c.overview.lead),
        value: c.details.plan?.responsible_person ?? c.identity.person }),
      field("plan_set", "plan.measures", { kind: "lines", label: "form.measures", hint: "form.measures_hint", value: (c.details.plan?.measures || []).join("\n") }),
      field("plan_set", "plan.resolution_deadline", { kind: "date", label: "form.resolution_deadline", min: today(conferenceTimeZone()),
        maxDate: handlingDue(c), value: c.details.plan?.resolution_deadline }),
    ],
    change: (v) => ({ plan: v }),
  },
  task_assigned: {
    fields: (c) => [
      field("task_assigned", "task.unit", { kind: "unit", label: "form.task_unit", options: c.overview.co_handling, value: c.overview.co_handling[0] }),
      field("task_assigned", "task.what", { kind: "area", label: "form.task_what" }),
      field("task_assigned", "task.due", { kind: "date", label: "form.due", min: today(conferenceTimeZone()), maxDate: handlingDue(c) }),
    ],
    change: (v) => ({ task: v }),
  },
  task_acknowledged: { fields: () => [], change: (v, a) => ({ task: a.task }), intro: "form.task_intro" },
  task_progress: {
    fields: () => [field("task_progress", "report.text", { kind: "area", label: "form.progress_text" }),
      field("task_progress", "report.status", { kind: "choice", label: "form.progress_status", value: "on_track" }, "progress.")],
    change: (v, a) => ({ task: a.task, report: { text: v.text, status: v.status } }),
    intro: "form.task_intro",
  },
  task_done: { fields: () => [reason("task_done", "result", "form.task_result")], change: (v, a) => ({ task: a.task, result: v.result }), intro: "form.task_intro" },
  task_accepted: { fields: () => [], change: (v, a) => ({ task: a.task }), intro: "form.task_result_intro" },
  task_returned: { fields: () => [reason("task_returned")], change: (v, a) => ({ task: a.task, reason: v.reason }), intro: "form.task_result_intro" },
  answer_drafted: { fields: (c) => answerFields("answer_drafted", c.details.answer_draft?.answer), change: (v) => ({ answer: v }) },
  answer_cosigned: { fields: () => [], change: (v, a) => ({ version: a.version }), intro: "form.draft_intro" },
  answer_objected: { fields: () => [reason("answer_objected")], change: (v, a) => ({ version: a.version, reason: v.reason }), intro: "form.draft_intro" },
  answered: { fields: (c) => answerFields("answered", c.details.answer_draft?.answer), change: (v) => ({ answer: v }), intro: "form.answered_intro" },
  extension_requested: {
    fields: () => [field("extension_requested", "days", { kind: "number", label: "form.days" }), reason("extension_requested")],
    change: (v) => ({ days: v.days, reason: v.reason }),
  },
  extension_granted: {
    fields: (c) => [field("extension_granted", "days", { kind: "number", label: "form.days", value: c.details.extension_request?.days }),
      reason("extension_granted")],
    change: (v) => ({ days: v.days, reason: v.reason }),
    intro: "form.extension_intro",
  },
  extension_refused: { fields: () => [reason("extension_refused")], change: (v) => ({ reason: v.reason }), intro: "form.extension_intro" },
  satisfaction_rated: {
    fields: () => [field("satisfaction_rated", "satisfaction", { kind: "choice", label: "form.satisfaction", value: "satisfied" }, "satisfaction.")],
    change: (v) => ({ satisfaction: v.satisfaction }),
  },
  review_requested: { fields: () => [], change: () => ({}) },
  re_review_requested: { fields: () => [], change: () => ({}) },
  reviewed: opinion("reviewed"),
  re_reviewed: opinion("re_reviewed"),
  closed: { fields: () => [reason("closed")], change: (v) => ({ reason: v.reason }) },
  routed_out: {
    fields: () => [field("routed_out", "channel", { kind: "choice", label: "form.channel", value: "litigation" }, "route."),
      field("routed_out", "destination", { kind: "text", label: "form.destination" }), reason("routed_out")],
    change: (v) => v,
  },
  supervision_opened: {
    fields: (c) => [
      field("supervision_opened", "demand.unit", { kind: "unit", label: "form.supervised_unit", options: c.details.involved_units, value: c.overview.lead }),
      reason("supervision_opened", "demand.reason"),
      field("supervision_opened", "demand.demand", { kind: "area", label: "form.demand" }),
      field("supervision_opened", "demand.due", { kind: "date", label: "form.due", min: today(conferenceTimeZone()) }),
    ],
    change: (v) => ({ demand: v }),
  },
  supervision_answered: { fields: () => [reason("supervision_answered", "text", "form.supervision_text")], change: (v, a) => ({ item: a.item, text: v.text }) },
  listed_supervision_set: { fields: () => [reason("listed_supervision_set")], change: (v) => ({ reason: v.reason }) },
  listed_supervision_cleared: { fields: () => [reason("listed_supervision_cleared")], change: (v) => ({ reason: v.reason }) },
};

function unitsField(type, path, options, label = "form.units") {
  return field(type, path, { kind: "units", label, options });
}

function assignment(type, candidates) {
  return {
    fields: (c) => [
      field(type, "assignment.lead", { kind: "unit", label: "form.lead", options: candidates(c) }),
      field(type, "assignment.co_handling", { kind: "units", label: "form.co_handling", options: candidates(c) }),
      field(type, "assignment.rationale", { kind: "area", label: "form.rationale" }),
    ],
    change: (v) => ({ assignment: { lead: v.lead, co_handling: v.co_handling.filter((unit) => unit !== v.lead), rationale: v.rationale } }),
  };
}

function answerFields(type, draft) {
  return [
    field(type, "answer.request", { kind: "area", label: "form.answer_request", value: draft?.request }),
    field(type, "answer.facts_and_reasons", { kind: "area", label: "form.answer_facts", value: draft?.facts_and_reasons }),
    field(type, "answer.decision", { kind: "choice", label: "form.answer_decision", value: draft?.decision ?? "support" }, "decision."),
    field(type, "answer.legal_basis", { kind: "area", label: "form.legal_basis", value: draft?.legal_basis }),
  ];
}

function opinion(type) {
  return {
    fields: () => [field(type, "opinion.upheld", { kind: "choice", label: "form.review_outcome", options: upheld, value: "true" }),
      reason(type, "opinion.opinion", "form.opinion")],
    change: (v) => ({ opinion: { upheld: v.upheld === "true", opinion: v.opinion } }),
  };
}

function handlingDue(c) {
  return (c.overview.deadlines || []).find((deadline) => deadline.kind === "handling")?.due;
}

/** The label of an action's button. */
function label(action) {
  return t("action." + action.type, { task: action.task ?? "", version: action.version ?? "", item: action.item ?? "" });
}

function actionId(action) {
  return ["action", action.type, action.task ?? action.version ?? action.item].filter((part) => part !== undefined).join("-");
}

/** The actions section of a case: a button per action; the chosen one's form below them. After a
 * change is accepted, `onDone(reply)` runs (the page draws the case from the reply); `track`
 * sees each change's request while it is under way. */
export function showActions(section, hub, room, c, onDone, track = (request) => request) {
  const panel = h("div", { class: "action-panel", id: "action-panel" });
  const offered = (c.overview.actions || []).filter((action) => changes[action.type]);
  const buttons = offered.map((action) => h("button", { type: "button", id: actionId(action), class: "action", onclick: () => open(action) }, label(action)));

  function open(action) {
    const spec = changes[action.type];
    const intro = spec.intro ? h("p", { class: "hint" }, introText(spec.intro, action, c)) : null;
    replace(panel, form({
      id: "form-" + action.type, title: label(action), intro, fields: spec.fields(c), submitKey: "form.submit",
      onCancel: () => replace(panel),
      send: async (values) => {
        // Every act, negotiation answers included, is one `case.change`; its reply is the case as
        // this person now sees it.
        const result = await track(hub.request("case.change", { case: room, change: { type: action.type, ...spec.change(values, action, c) } }));
        replace(panel);
        onDone(result);
      },
    }));
    panel.querySelector("input, select, textarea")?.focus();
  }

  replace(section, h("h3", {}, t("case.actions")),
    offered.length ? h("div", { class: "actions", id: "actions" }, buttons) : h("p", { class: "hint", id: "actions" }, t("case.no_actions")),
    panel);
}

/** The words above a form: what the task, draft or request is. */
function introText(key, action, c) {
  const task = (c.details.tasks || []).find((item) => item.task === action.task);
  const draft = c.details.answer_draft;
  const request = c.details.extension_request;
  return [t(key, {
    task: action.task ?? "", unit: task ? unitName(task.unit) : "", version: draft?.version ?? "",
    days: request?.days ?? "", person: request ? personName(request.requested_by) : "",
  }), " ", task ? data(task.what) : null, task?.result ? [" — ", data(task.result)] : null,
  request?.reason && key === "form.extension_intro" ? [" ", data(request.reason)] : null];
}
