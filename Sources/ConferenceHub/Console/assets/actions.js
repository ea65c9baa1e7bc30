// actions.js: what this person may do with a case now, as buttons, each opening a form with the
// fields its change needs. The list comes from the hub (`case.overview` `actions`: the same rules
// that accept or refuse the change), so the page offers exactly what this person may do in this
// state; the form checks what the hub checks and shows a refusal in words.
import { data, h, replace } from "./dom.js";
import { conferenceTimeZone, peopleOf, personName, unitHierarchy, unitName } from "./format.js";
import { form, today } from "./forms.js";
import { t } from "./i18n.js";

const REASON = 4000;
const positions = [["claim", "position.claim"], ["support", "position.support"], ["cohandle", "position.cohandle"], ["decline", "position.decline"]];
const decisions = [["support", "decision.support"], ["explain", "decision.explain"], ["not_support", "decision.not_support"]];
const satisfactions = [["satisfied", "satisfaction.satisfied"], ["basically_satisfied", "satisfaction.basically_satisfied"], ["not_satisfied", "satisfaction.not_satisfied"]];
const upheld = [["true", "review.upheld"], ["false", "review.overturned"]];
const channels = [["litigation", "route.litigation"], ["discipline", "route.discipline"]];
const progress = [["on_track", "progress.on_track"], ["at_risk", "progress.at_risk"]];

const reason = (name = "reason", label = "form.reason", required = true) => ({ name, kind: "area", label, required, max: REASON });
const allUnits = () => unitHierarchy().filter((unit) => unit.kind !== "petition_bureau");

/** The fields of each change and how its values become the change. `c` is the case as the page
 * knows it: {overview, details, identity}. */
const changes = {
  negotiation_answered: {
    fields: (c) => [
      { name: "position", kind: "choice", label: "form.position", options: positions, value: "claim" },
      { name: "supports", kind: "unit", label: "form.supports", options: (c.details.negotiation?.units || []).filter((unit) => unit !== c.identity.unit),
        hidden: (v) => v.position !== "support", requiredWhen: (v) => v.position === "support" },
      { ...reason(), required: false, hidden: (v) => v.position !== "decline", requiredWhen: (v) => v.position === "decline" },
      { name: "basis", kind: "area", label: "form.basis", max: REASON, hidden: (v) => v.position !== "decline", requiredWhen: (v) => v.position === "decline" },
    ],
    change: (v, action, c) => ({
      unit: c.identity.unit,
      answer: {
        position: v.position, supports: v.position === "support" ? v.supports : undefined,
        reason: v.position === "decline" ? v.reason : undefined, basis: v.position === "decline" ? v.basis : undefined,
      },
    }),
  },
  negotiation_opened: { fields: (c) => [unitsField("units", c.details.involved_units, 2)], change: (v) => ({ units: v.units }) },
  assigned: assignment(false, (c) => c.details.involved_units),
  lead_decided: assignment(true, (c) => c.details.negotiation?.units || c.details.involved_units),
  lead_reassigned: assignment(true, () => allUnits().map((unit) => unit.unit)),
  forwarded: { fields: () => [unitsField("units", allUnits(), 1)], change: (v) => ({ units: v.units }) },
  objection_raised: { fields: () => [reason()], change: (v) => ({ reason: v.reason }) },
  objection_upheld: {
    fields: () => [unitsField("units", allUnits(), 1, "form.reroute_units"), reason("rationale", "form.rationale")],
    change: (v) => ({ units: v.units, rationale: v.rationale }),
  },
  objection_rejected: { fields: () => [reason("rationale", "form.rationale")], change: (v) => ({ rationale: v.rationale }) },
  accepted: { fields: () => [], change: () => ({}), intro: "form.accepted_intro" },
  handling_started: { fields: () => [], change: () => ({}) },
  plan_set: {
    fields: (c) => [
      { name: "responsible_leader", kind: "person", label: "form.responsible_leader", required: true, options: peopleOf(c.overview.lead, "leader"), value: c.details.plan?.responsible_leader },
      { name: "responsible_person", kind: "person", label: "form.responsible_person", required: true, options: peopleOf(c.overview.lead), value: c.details.plan?.responsible_person ?? c.identity.person },
      { name: "measures", kind: "lines", label: "form.measures", hint: "form.measures_hint", required: true, max: REASON, value: (c.details.plan?.measures || []).join("\n") },
      { name: "resolution_deadline", kind: "date", label: "form.resolution_deadline", required: true, min: today(conferenceTimeZone()),
        maxDate: handlingDue(c), value: c.details.plan?.resolution_deadline },
    ],
    change: (v) => ({ plan: v }),
  },
  task_assigned: {
    fields: (c) => [
      { name: "unit", kind: "unit", label: "form.task_unit", required: true, options: c.overview.co_handling, value: c.overview.co_handling[0] },
      { name: "what", kind: "area", label: "form.task_what", required: true, max: REASON },
      { name: "due", kind: "date", label: "form.due", required: true, min: today(conferenceTimeZone()), maxDate: handlingDue(c) },
    ],
    change: (v) => ({ task: v }),
  },
  task_acknowledged: { fields: () => [], change: (v, a) => ({ task: a.task }), intro: "form.task_intro" },
  task_progress: {
    fields: () => [{ name: "text", kind: "area", label: "form.progress_text", required: true, max: REASON },
      { name: "status", kind: "choice", label: "form.progress_status", options: progress, value: "on_track" }],
    change: (v, a) => ({ task: a.task, report: { text: v.text, status: v.status } }),
    intro: "form.task_intro",
  },
  task_done: { fields: () => [reason("result", "form.task_result")], change: (v, a) => ({ task: a.task, result: v.result }), intro: "form.task_intro" },
  task_accepted: { fields: () => [], change: (v, a) => ({ task: a.task }), intro: "form.task_result_intro" },
  task_returned: { fields: () => [reason()], change: (v, a) => ({ task: a.task, reason: v.reason }), intro: "form.task_result_intro" },
  answer_drafted: { fields: (c) => answerFields(c.details.answer_draft?.answer), change: (v) => ({ answer: v }) },
  answer_cosigned: { fields: () => [], change: (v, a) => ({ version: a.version }), intro: "form.draft_intro" },
  answer_objected: { fields: () => [reason()], change: (v, a) => ({ version: a.version, reason: v.reason }), intro: "form.draft_intro" },
  answered: { fields: (c) => answerFields(c.details.answer_draft?.answer), change: (v) => ({ answer: v }), intro: "form.answered_intro" },
  extension_requested: {
    fields: () => [{ name: "days", kind: "number", label: "form.days", required: true, min: 1, maxValue: 30 }, reason()],
    change: (v) => ({ days: v.days, reason: v.reason }),
  },
  extension_granted: {
    fields: (c) => [{ name: "days", kind: "number", label: "form.days", required: true, min: 1, maxValue: 30, value: c.details.extension_request?.days }, reason()],
    change: (v) => ({ days: v.days, reason: v.reason }),
    intro: "form.extension_intro",
  },
  extension_refused: { fields: () => [reason()], change: (v) => ({ reason: v.reason }), intro: "form.extension_intro" },
  satisfaction_rated: {
    fields: () => [{ name: "satisfaction", kind: "choice", label: "form.satisfaction", options: satisfactions, value: "satisfied" }],
    change: (v) => ({ satisfaction: v.satisfaction }),
  },
  review_requested: { fields: () => [], change: () => ({}) },
  re_review_requested: { fields: () => [], change: () => ({}) },
  reviewed: opinion(),
  re_reviewed: opinion(),
  closed: { fields: () => [reason()], change: (v) => ({ reason: v.reason }) },
  routed_out: {
    fields: () => [{ name: "channel", kind: "choice", label: "form.channel", options: channels, value: "litigation" },
      { name: "destination", kind: "text", label: "form.destination", required: true, max: 200 }, reason()],
    change: (v) => v,
  },
  supervision_opened: {
    fields: (c) => [
      { name: "unit", kind: "unit", label: "form.supervised_unit", required: true, options: c.details.involved_units, value: c.overview.lead },
      reason(), { name: "demand", kind: "area", label: "form.demand", required: true, max: REASON },
      { name: "due", kind: "date", label: "form.due", required: true, min: today(conferenceTimeZone()) },
    ],
    change: (v) => ({ demand: v }),
  },
  supervision_answered: { fields: () => [reason("text", "form.supervision_text")], change: (v, a) => ({ item: a.item, text: v.text }) },
  listed_supervision_set: { fields: () => [reason()], change: (v) => ({ reason: v.reason }) },
  listed_supervision_cleared: { fields: () => [reason()], change: (v) => ({ reason: v.reason }) },
};

function unitsField(name, options, minimum, label = "form.units") {
  return { name, kind: "units", label, required: true, minimum, options };
}

function assignment(rationaleRequired, candidates) {
  return {
    fields: (c) => [
      { name: "lead", kind: "unit", label: "form.lead", required: true, options: candidates(c) },
      { name: "co_handling", kind: "units", label: "form.co_handling", options: candidates(c) },
      reason("rationale", "form.rationale", rationaleRequired),
    ],
    change: (v) => ({ assignment: { lead: v.lead, co_handling: v.co_handling.filter((unit) => unit !== v.lead), rationale: v.rationale } }),
  };
}

function answerFields(draft) {
  return [
    { name: "request", kind: "area", label: "form.answer_request", required: true, max: REASON, value: draft?.request },
    { name: "facts_and_reasons", kind: "area", label: "form.answer_facts", required: true, max: 10000, value: draft?.facts_and_reasons },
    { name: "decision", kind: "choice", label: "form.answer_decision", options: decisions, value: draft?.decision ?? "support" },
    { name: "legal_basis", kind: "area", label: "form.legal_basis", required: true, max: REASON, value: draft?.legal_basis },
  ];
}

function opinion() {
  return {
    fields: () => [{ name: "upheld", kind: "choice", label: "form.review_outcome", options: upheld, value: "true" }, reason("opinion", "form.opinion")],
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
 * change is accepted, `onDone` runs (the page refreshes the case). */
export function showActions(section, hub, room, c, onDone) {
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
        // Every act, negotiation answers included, is one `case.change`.
        await hub.request("case.change", { case: room, change: { type: action.type, ...spec.change(values, action, c) } });
        replace(panel);
        onDone();
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
