// cases.js: the list of cases this person may read, with filters (status, my unit's part,
// overdue, listed supervision) and a search by number or title, all done by the hub over every
// case; a page at a time, and a button for the next (cases.more).
import { data, h, replace } from "./dom.js";
import { dateTime, unitName } from "./format.js";
import { t } from "./i18n.js";
import { limit, options, statuses } from "./schema.js";

/** How long typing in the search box pauses before the hub is asked, in milliseconds. */
const SEARCH_PAUSE_MS = 300;

/** Shows the case list in `root`. */
export async function showCases(root, hub, identity) {
  const status = h("select", { id: "filter-status" }, h("option", { value: "" }, t("cases.all_statuses")),
    statuses().map(({ status: value }) => h("option", { value }, t("status." + value))));
  const relation = h("select", { id: "filter-relation" },
    options("unit_relation").map((value) => h("option", { value }, t("relation." + value))));
  const overdue = h("input", { type: "checkbox", id: "filter-overdue" });
  const listed = h("input", { type: "checkbox", id: "filter-listed" });
  const search = h("input", { type: "search", id: "filter-search", placeholder: t("cases.search"), maxlength: limit("case_search_length") });
  const body = h("tbody", { id: "case-rows" });
  const note = h("p", { class: "hint", id: "cases-note", "aria-live": "polite" });
  const more = h("button", { type: "button", id: "cases-more", hidden: true }, t("cases.more"));
  let cases = [];
  let next = null;
  // Each load is numbered: a reply to an older one (filters changed meanwhile) is dropped.
  let generation = 0;

  function render() {
    replace(body, cases.map((item) => h("tr", {},
      h("td", {}, h("a", { href: `#/case/${encodeURIComponent(item.case)}`, class: "case-link", "data-case": item.case }, data(item.number))),
      h("td", {}, data(item.title)),
      h("td", {}, t("status." + item.status)),
      h("td", {}, item.lead ? data(unitName(item.lead)) : t("cases.no_lead")),
      h("td", {}, dateTime(item.registered_at)))));
    replace(note, cases.length === 0 ? t("cases.none") : t(next ? "cases.shown" : "cases.count", { count: cases.length }));
    more.hidden = !next;
  }

  /** The filters as the hub takes them: every one is done by the hub, over all cases. */
  function filters() {
    const fields = { relation: relation.value, limit: limit("default_page_size"), view: "summary" };
    if (status.value) fields.status = status.value;
    // The conference office is involved in every case: its coordinators and auditors see them all.
    if (["coordinator", "auditor"].some((role) => identity.roles.includes(role)) && relation.value === "involved") delete fields.relation;
    if (overdue.checked) fields.overdue = true;
    if (listed.checked) fields.listed = true;
    const text = search.value.trim();
    if (text) fields.search = text;
    return fields;
  }

  /** Reads the first page (`after` null) or the page after the last one shown. */
  async function load(after = null) {
    const mine = ++generation;
    const fields = filters();
    if (after) fields.after = after;
    // Busy while the hub answers (screen readers wait for the new rows; so do tests).
    body.setAttribute("aria-busy", "true");
    more.disabled = true;
    try {
      const page = await hub.request("cases", fields);
      if (mine !== generation) return;
      cases = after ? cases.concat(page.cases) : page.cases;
      next = page.next ?? null;
    } catch (error) {
      if (mine !== generation) return;
      if (!after) cases = [];
      next = null;
      replace(note, t("error.generic"));
      return;
    } finally {
      if (mine === generation) {
        body.setAttribute("aria-busy", "false");
        more.disabled = false;
      }
    }
    render();
  }

  let typing = null;
  for (const control of [status, relation, overdue, listed]) control.addEventListener("change", () => load());
  // The search goes to the hub once typing pauses, or at once on Enter.
  search.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => load(), SEARCH_PAUSE_MS);
  });
  search.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    clearTimeout(typing);
    load();
  });
  more.addEventListener("click", () => { if (next) load(next); });

  replace(root,
    h("section", { class: "cases" },
      h("h2", {}, t("nav.cases")),
      h("div", { class: "filters" },
        h("label", {}, t("cases.status"), status),
        h("label", {}, t("cases.relation"), relation),
        h("label", { class: "check" }, overdue, t("cases.overdue")),
        h("label", { class: "check" }, listed, t("cases.listed")),
        h("label", {}, t("cases.search_label"), search)),
      h("table", { class: "case-list", id: "case-list" },
        h("thead", {}, h("tr", {}, ["cases.number", "cases.title", "cases.status", "cases.lead", "cases.registered"].map((key) => h("th", {}, t(key))))),
        body),
      note, more));
  await load();
}
