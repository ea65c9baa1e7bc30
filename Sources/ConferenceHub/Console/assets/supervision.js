// supervision.js: the supervision dashboard for coordinators, leaders and auditors — the deadlines
// at 50, 75, 85 and 99 % of their time (`deadlines`: the count at each level and the most urgent), the
// case figures of every unit for a period (`figures`: a chart of the on-time rate beside the
// table, and the table as CSV), the supervision list (`supervision`: what is overdue, the open
// negotiations and disputes, listed supervision, each with its total) and each unit's negotiation
// figures, where declines later overturned show who passed the case on.
import { data, h, replace } from "./dom.js";
import { conferenceTimeZone, dateTime, day, timeLeft, unitList, unitName } from "./format.js";
import { t } from "./i18n.js";

/** Who sees the dashboard. */
export function seesSupervision(identity) {
  return ["coordinator", "leader", "auditor"].some((role) => identity.roles.includes(role));
}

/** Today in the conference's time zone, YYYY-MM-DD. */
function today(offsetDays = 0) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: conferenceTimeZone(), year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date(Date.now() + offsetDays * 86_400_000));
  return parts;
}

const FIGURE_COLUMNS = ["answered", "average_handling_days", "on_time_rate", "overdue", "rated", "satisfaction_rate", "escalated",
  "objections_raised", "objections_upheld"];
const NEGOTIATION_COLUMNS = ["joined", "claims", "declines", "declines_overturned", "answered", "median_seconds_to_answer",
  "unanswered_at_deadline"];

/** A figure as the tables show it: rates as percentages, days to one decimal, nothing as —. */
function shown(column, value) {
  if (value === null || value === undefined) return "—";
  if (column.endsWith("_rate")) return `${(value * 100).toFixed(1)}%`;
  if (column === "average_handling_days") return value.toFixed(1);
  if (column === "median_seconds_to_answer") return t("dashboard.hours", { hours: (value / 3600).toFixed(1) });
  return String(value);
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  for (const child of children) element.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  return element;
}

/** A bar per unit of `rows`' `column` (a rate, 0 to 1), drawn by the console; the table beside it
 * carries the same figures for those who would rather read. */
function rateChart(rows, column, label) {
  const bar = 22, gap = 8, labelWidth = 230, width = 640;
  const measured = rows.filter((row) => row.unit !== null);
  const height = measured.length * (bar + gap) + gap;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", "aria-label": label, class: "chart" });
  chart.appendChild(svg("title", {}, label));
  measured.forEach((row, index) => {
    const y = gap + index * (bar + gap);
    const value = row[column];
    chart.appendChild(svg("text", { x: labelWidth - 8, y: y + bar * 0.7, "text-anchor": "end", class: "chart-label" }, unitName(row.unit)));
    chart.appendChild(svg("rect", { x: labelWidth, y, width: width - labelWidth - 70, height: bar, class: "chart-track" }));
    if (value !== null && value !== undefined) {
      chart.appendChild(svg("rect", { x: labelWidth, y, width: Math.max(1, (width - labelWidth - 70) * value), height: bar, class: "chart-bar" }));
    }
    chart.appendChild(svg("text", { x: width - 62, y: y + bar * 0.7, class: "chart-value" }, shown(column, value)));
  });
  return chart;
}

/** The rows as CSV (the unit by its name; a cell with a comma or quote quoted). */
function csv(rows, columns) {
  const cell = (value) => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  const header = [t("dashboard.unit"), ...columns.map((column) => t("figure." + column))];
  const lines = rows.map((row) => [row.unit === null ? t("dashboard.all_units") : unitName(row.unit),
    ...columns.map((column) => (row[column] === null || row[column] === undefined ? "" : String(row[column])))]);
  return [header, ...lines].map((line) => line.map((value) => cell(String(value))).join(",")).join("\r\n") + "\r\n";
}

function table(id, rows, columns, caption) {
  return h("table", { id, class: "figures" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("dashboard.unit")),
      columns.map((column) => h("th", { scope: "col" }, t("figure." + column))))),
    h("tbody", {}, rows.map((row) => h("tr", { "data-unit": row.unit ?? "" },
      h("th", { scope: "row" }, row.unit === null ? t("dashboard.all_units") : data(unitName(row.unit))),
      columns.map((column) => h("td", { "data-column": column }, shown(column, row[column])))))));
}

/** What an entry is owed under: a legal deadline (its kind), a task or a supervision item. */
function obligation(name) {
  const numbered = /^(task|supervision)-(\d+)$/.exec(name ?? "");
  if (numbered) return t(numbered[1] === "task" ? "dashboard.task" : "dashboard.item", { number: numbered[2] });
  return t("deadline." + name);
}

/** One of the supervision lists: its entries (as many as the hub sent) and how many there are. */
function list(id, entries, total, describe) {
  return h("section", { class: "supervision-list", id },
    h("h4", {}, t("dashboard.list." + id), " ", t("dashboard.total", { total })),
    entries.length === 0 ? h("p", { class: "hint" }, t("dashboard.none"))
      : h("ul", {}, entries.map((entry) => h("li", { class: entry.overdue ? "overdue" : "" },
        h("a", { href: `#/case/${encodeURIComponent(entry.case)}` }, data(entry.title)), " ", describe(entry)))),
    entries.length < total ? h("p", { class: "hint" }, t("dashboard.more", { shown: entries.length, total })) : null);
}

/** Shows the dashboard in `root`. */
export async function showSupervision(root, hub) {
  const from = h("input", { type: "date", id: "dashboard-from", value: today(-89) });
  const to = h("input", { type: "date", id: "dashboard-to", value: today() });
  const figures = h("section", { id: "dashboard-figures", "aria-busy": "true" });
  const lists = h("section", { id: "dashboard-lists", "aria-busy": "true" });
  const warnings = h("section", { id: "dashboard-warnings", "aria-busy": "true" });
  const note = h("p", { class: "error", id: "dashboard-error", role: "alert" });

  async function loadFigures() {
    figures.setAttribute("aria-busy", "true");
    try {
      const result = await hub.request("figures", { from: from.value, to: to.value });
      const rows = result.rows;
      const download = h("a", { id: "dashboard-csv", download: `figures-${result.from}-${result.to}.csv`,
        href: URL.createObjectURL(new Blob(["\ufeff" + csv(rows, FIGURE_COLUMNS)], { type: "text/csv;charset=utf-8" })) },
      t("dashboard.csv"));
      replace(figures,
        h("h3", {}, t("dashboard.figures", { from: result.from, to: result.to })),
        h("div", { class: "chart-and-table" },
          rateChart(rows, "on_time_rate", t("dashboard.chart_on_time")),
          table("figures-table", rows, FIGURE_COLUMNS, t("dashboard.figures_caption"))),
        download);
      replace(note);
    } catch (error) {
      replace(note, t("error.generic"));
    } finally {
      figures.setAttribute("aria-busy", "false");
    }
  }

  async function loadLists() {
    lists.setAttribute("aria-busy", "true");
    try {
      const result = await hub.request("supervision", { limit: 100 });
      const owed = (entry) => h("span", { class: "hint" }, obligation(entry.obligation), " · ", data(unitList(entry.owed_by)), " · ",
        dateTime(entry.due_at), " · ", timeLeft(entry.seconds_left));
      replace(lists,
        h("h3", {}, t("dashboard.lists")),
        list("overdue_deadlines", result.overdue_deadlines, result.totals.overdue_deadlines, owed),
        list("overdue_tasks", result.overdue_tasks, result.totals.overdue_tasks, owed),
        list("supervision_items", result.supervision_items, result.totals.supervision_items, owed),
        list("negotiations", result.negotiations, result.totals.negotiations, (entry) => h("span", { class: "hint" },
          t("status." + entry.status), " · ", data(unitList(entry.owed_by)), entry.seconds_left === null || entry.seconds_left === undefined
            ? "" : [" · ", timeLeft(entry.seconds_left)])),
        list("listed", result.listed, result.totals.listed, (entry) => h("span", { class: "hint" }, data(entry.reason ?? ""))),
        h("h3", {}, t("dashboard.negotiation")),
        table("negotiation-table", result.unit_figures, NEGOTIATION_COLUMNS, t("dashboard.negotiation_caption")));
    } catch (error) {
      replace(note, t("error.generic"));
    } finally {
      lists.setAttribute("aria-busy", "false");
    }
  }

  async function loadWarnings() {
    warnings.setAttribute("aria-busy", "true");
    try {
      const result = await hub.request("deadlines", { level: 50, limit: 100 });
      const levels = ["50", "75", "85", "99"];
      replace(warnings,
        h("h3", {}, t("dashboard.warnings")),
        h("ul", { class: "warning-counts", id: "warning-counts" }, levels.map((level) => h("li", { class: "w" + level, "data-level": level },
          h("span", { class: "count" }, String(result.counts[level] ?? 0)), " ", t("dashboard.warning_level", { level })))),
        h("section", { class: "supervision-list", id: "warnings" },
          result.deadlines.length === 0 ? h("p", { class: "hint" }, t("dashboard.none"))
            : h("ul", {}, result.deadlines.map((entry) => h("li", { class: "w" + entry.level },
              h("a", { href: `#/case/${encodeURIComponent(entry.case)}` }, data(entry.number), " ", data(entry.title)), " ",
              h("span", { class: "hint" }, t("deadline." + entry.kind), " · ", data(unitList(entry.owed_by)), " · ",
                t("dashboard.warning_level", { level: entry.level }), " · ", t("dashboard.due", { day: entry.due ? day(entry.due) : dateTime(entry.due_at) }),
                " · ", timeLeft(entry.seconds_left))))),
          result.deadlines.length < result.total ? h("p", { class: "hint" }, t("dashboard.more", { shown: result.deadlines.length, total: result.total })) : null));
    } catch (error) {
      replace(note, t("error.generic"));
    } finally {
      warnings.setAttribute("aria-busy", "false");
    }
  }

  for (const control of [from, to]) control.addEventListener("change", () => { if (from.value && to.value) loadFigures(); });
  replace(root,
    h("section", { class: "dashboard" },
      h("h2", {}, t("nav.supervision")),
      h("div", { class: "filters" }, h("label", {}, t("dashboard.from"), from), h("label", {}, t("dashboard.to"), to)),
      note, warnings, figures, lists));
  await Promise.all([loadWarnings(), loadFigures(), loadLists()]);
}
