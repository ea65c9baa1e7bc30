// casestate.js: a case's state as the page shows it — status, lead and co-handling units, the
// negotiation's answers, the plan (responsible leader and person, measures), every running deadline
// with its time left and warning colour, tasks, the draft answer and its co-signatures, supervision,
// and the petitioner (only for those entitled to see them). Everything from people is data.
import { data, h } from "./dom.js";
import { dateTime, day, personName, timeLeft, unitList, unitName } from "./format.js";
import { t } from "./i18n.js";

export function renderState(overview, details, petitioner) {
  const negotiation = details?.negotiation;
  return [
    h("dl", {},
      h("dt", {}, t("case.status")), h("dd", { id: "case-status" }, t("status." + overview.status)),
      h("dt", {}, t("case.lead")), h("dd", { id: "case-lead" }, overview.lead ? data(unitName(overview.lead)) : t("cases.no_lead")),
      h("dt", {}, t("case.co_handling")), h("dd", { id: "case-co-handling" }, (overview.co_handling || []).length ? data(unitList(overview.co_handling)) : t("case.none")),
      details ? [h("dt", {}, t("case.involved")), h("dd", {}, data(unitList(details.involved_units)))] : null,
      details ? [h("dt", {}, t("case.received")), h("dd", {}, day(details.received_on), " · ", t("category." + details.category), " · ", t("channel." + details.channel))] : null,
      petitioner ? [h("dt", {}, t("case.petitioner")), h("dd", { id: "case-petitioner" }, data(petitioner.name), petitioner.contact ? [" · ", data(petitioner.contact)] : null)] : null,
      overview.listed ? [h("dt", {}, t("case.listed")), h("dd", { class: "listed" }, data(overview.listed.reason))] : null,
      details?.plan ? [
        h("dt", {}, t("case.plan")),
        h("dd", { id: "case-plan" }, t("case.plan_people", {}), data(personName(details.plan.responsible_leader)), t("list.separator"),
          data(personName(details.plan.responsible_person)), " · ", t("case.resolution_deadline"), day(details.plan.resolution_deadline),
          h("ol", {}, details.plan.measures.map((measure) => data(measure, "li")))),
      ] : null),
    details?.summary ? data(details.summary, "p") : null,
    negotiation && negotiation.units ? renderNegotiation(negotiation) : null,
    h("h3", {}, t("case.deadlines")),
    h("ul", { class: "deadlines", id: "case-deadlines" }, (overview.deadlines || []).map((deadline) => {
      const level = deadline.overdue || deadline.level === 100 ? "overdue" : deadline.level ? "w" + deadline.level : "ok";
      return h("li", { class: "deadline " + level, "data-kind": deadline.kind },
        t("deadline." + deadline.kind), " ", day(deadline.due), " · ", timeLeft(deadline.seconds_left, deadline.working_days_left),
        deadline.owed_by?.length ? [" · ", t("case.owed_by"), data(unitList(deadline.owed_by))] : null);
    })),
    renderTasks(overview),
    renderDraft(overview, details),
    renderSupervision(overview),
  ];
}

function renderNegotiation(negotiation) {
  const answers = new Map((negotiation.answers || []).map((entry) => [entry.unit, entry]));
  return [
    h("h3", {}, t("case.negotiation", { round: negotiation.round })),
    h("ul", { class: "negotiation", id: "case-negotiation" }, negotiation.units.map((unit) => {
      const entry = answers.get(unit);
      const answer = entry?.answer;
      return h("li", { "data-unit": unit }, data(unitName(unit)), t("punct.colon"),
        answer ? [t("position." + answer.position),
          answer.supports ? [" ", data(unitName(answer.supports))] : null,
          answer.reason ? [" · ", t("form.reason"), t("punct.colon"), data(answer.reason)] : null,
          answer.basis ? [" · ", t("form.basis"), t("punct.colon"), data(answer.basis)] : null,
          " · ", h("time", {}, dateTime(entry.at))] : t("case.not_answered"));
    })),
  ];
}

function renderTasks(overview) {
  const rows = Object.entries(overview.tasks_by_unit || {}).flatMap(([unit, tasks]) => tasks.map((task) => ({ unit, ...task })))
    .sort((a, b) => a.task - b.task);
  if (!rows.length) return null;
  return [
    h("h3", {}, t("case.tasks")),
    h("table", { class: "tasks", id: "case-tasks" },
      h("thead", {}, h("tr", {}, ["case.task_number", "case.task_unit", "case.task_what", "case.task_due", "case.task_state"].map((key) => h("th", {}, t(key))))),
      h("tbody", {}, rows.map((task) => h("tr", { "data-task": task.task, class: task.overdue ? "overdue" : undefined },
        h("td", {}, String(task.task)), h("td", {}, data(unitName(task.unit))), h("td", {}, data(task.what)),
        h("td", {}, day(task.due)),
        h("td", { class: "task-state" }, t("task." + task.state), task.progress ? [" · ", t("progress." + task.progress)] : null,
          task.progress_text ? [" · ", data(task.progress_text)] : null))))),
  ];
}

function renderDraft(overview, details) {
  const draft = details?.answer_draft;
  if (!overview.answer || !draft) return null;
  return [
    h("h3", {}, t("case.draft", { version: overview.answer.version })),
    h("div", { class: "draft", id: "case-draft" },
      h("p", {}, t("form.answer_decision"), t("punct.colon"), t("decision." + draft.answer.decision)),
      h("p", {}, t("form.answer_request"), t("punct.colon"), data(draft.answer.request)),
      h("p", {}, t("form.answer_facts"), t("punct.colon"), data(draft.answer.facts_and_reasons)),
      h("p", {}, t("form.legal_basis"), t("punct.colon"), data(draft.answer.legal_basis)),
      h("p", { id: "draft-signatures" }, t("case.signed_by"), overview.answer.signed_by.length ? data(unitList(overview.answer.signed_by)) : t("case.none"),
        " · ", t("case.awaiting"), overview.answer.awaiting.length ? data(unitList(overview.answer.awaiting)) : t("case.none")),
      overview.answer.objections.map((objection) => h("p", { class: "error" }, data(unitName(objection.unit)), " ", t("case.objects"), data(objection.reason)))),
  ];
}

function renderSupervision(overview) {
  if (!(overview.supervision_items || []).length) return null;
  return [
    h("h3", {}, t("case.supervision")),
    h("ul", { class: "supervision" }, overview.supervision_items.map((item) => h("li", { "data-item": item.item },
      t("case.supervision_item", { item: item.item }), data(unitName(item.unit)), t("punct.colon"), data(item.demand), " · ", day(item.due), " · ",
      t(item.answered ? "case.answered" : item.escalated ? "case.escalated" : "case.open")))),
  ];
}
