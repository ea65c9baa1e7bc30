// cases.js: the list of cases this person may read, with filters (status, my unit's part,
// overdue, listed supervision) and a search by number or title.
import { data, h, replace } from "./dom.js";
import { dateTime, unitName } from "./format.js";
import { t } from "./i18n.js";
import { options, statuses } from "./schema.js";

/** Shows the case list in `root`. */
export async function showCases(root, hub, identity) {
  const status = h("select", { id: "filter-status" }, h("option", { value: "" }, t("cases.all_statuses")),
    statuses().map(({ status: value }) => h("option", { value }, t("status." + value))));
  const relation = h("select", { id: "filter-relation" },
    options("unit_relation").map((value) => h("option", { value }, t("relation." + value))));
  const overdue = h("input", { type: "checkbox", id: "filter-overdue" });
  const listed = h("input", { type: "checkbox", id: "filter-listed" });
  const search = h("input", { type: "search", id: "filter-search", placeholder: t("cases.search"), maxlength: 100 });
  const body = h("tbody", { id: "case-rows" });
  const note = h("p", { class: "hint", id: "cases-note" });
  let cases = [];

  function render() {
    const text = search.value.trim().toLowerCase();
    const now = Date.now();
    const shown = cases.filter((item) => {
      if (overdue.checked && !(item.deadlines || []).some((deadline) => !deadline.met_at && deadline.due_at < now)) return false;
      if (listed.checked && !item.listed_supervision) return false;
      return !text || item.case.toLowerCase().includes(text) || String(item.case).replace("case-", "") === text || item.title.toLowerCase().includes(text);
    });
    replace(body, shown.map((item) => h("tr", {},
      h("td", {}, h("a", { href: `#/case/${encodeURIComponent(item.case)}`, class: "case-link" }, data(item.case))),
      h("td", {}, data(item.title)),
      h("td", {}, t("status." + item.status)),
      h("td", {}, item.lead ? data(unitName(item.lead)) : t("cases.no_lead")),
      h("td", {}, dateTime(item.registered_at)))));
    replace(note, shown.length === 0 ? t("cases.none") : t("cases.count", { count: shown.length }));
  }

  async function load() {
    const fields = { relation: relation.value, limit: 200 };
    if (status.value) fields.status = status.value;
    // The conference office is involved in every case: its coordinators and auditors see them all.
    if (["coordinator", "auditor"].some((role) => identity.roles.includes(role)) && relation.value === "involved") delete fields.relation;
    // Busy while the hub answers (screen readers wait for the new rows; so do tests).
    body.setAttribute("aria-busy", "true");
    try {
      cases = (await hub.request("cases", fields)).cases;
    } catch (error) {
      cases = [];
      replace(note, t("error.generic"));
      return;
    } finally {
      body.setAttribute("aria-busy", "false");
    }
    render();
  }

  for (const control of [status, relation]) control.addEventListener("change", load);
  for (const control of [overdue, listed]) control.addEventListener("change", render);
  search.addEventListener("input", render);

  replace(root,
    h("section", { class: "cases" },
      h("h2", {}, t("nav.cases")),
      h("div", { class: "filters" },
        h("label", {}, t("cases.status"), status),
        h("label", {}, t("cases.relation"), relation),
        h("label", { class: "check" }, overdue, t("cases.overdue")),
        h("label", { class: "check" }, listed, t("cases.listed")),
        h("label", {}, t("cases.search_label"), search)),
      h("table", {},
        h("thead", {}, h("tr", {}, ["cases.number", "cases.title", "cases.status", "cases.lead", "cases.registered"].map((key) => h("th", {}, t(key))))),
        body),
      note));
  await load();
}
