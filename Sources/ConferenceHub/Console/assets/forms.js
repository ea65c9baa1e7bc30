// forms.js: how the console builds a form from a list of fields, checks it as the hub will (required
// fields, lengths, dates, numbers, units) and shows a refusal in words. Fields are plain objects:
// {name, kind: text|area|lines|date|number|choice|unit|units|person, label, required, max, ...};
// their limits come from the hub's schema (schema.js `checked`).
import { data, h, replace } from "./dom.js";
import { day, personName, unitName } from "./format.js";
import { has, t } from "./i18n.js";

/** Today in the conference's time zone, as YYYY-MM-DD. */
export function today(timeZone) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
  return parts.slice(0, 10);
}

function control(field) {
  const id = "f-" + field.name;
  const common = { id, name: field.name, required: field.required || undefined };
  switch (field.kind) {
    case "area": case "lines":
      return h("textarea", { ...common, rows: 3, maxlength: field.max, value: field.value });
    case "date":
      return h("input", { ...common, type: "date", value: field.value, min: field.min, max: field.maxDate });
    case "number":
      return h("input", { ...common, type: "number", min: field.min, max: field.maxValue, step: 1, value: field.value });
    case "choice":
      return h("select", common, field.options.map(([value, key]) =>
        h("option", { value, selected: value === field.value || undefined }, t(key))));
    case "unit": case "person":
      return h("select", common, h("option", { value: "" }, t("form.pick")),
        field.options.map((value) => h("option", { value, selected: value === field.value || undefined },
          data(field.kind === "unit" ? unitName(value) : personName(value)))));
    case "units":
      return h("div", { id, class: "units" }, field.options.map((unit) =>
        h("label", { class: "check" },
          h("input", { type: "checkbox", name: field.name, value: unit.unit ?? unit, checked: (field.value || []).includes(unit.unit ?? unit) || undefined }),
          unit.depth ? h("span", { class: "indent" + Math.min(unit.depth, 4) }) : null,
          data(unitName(unit.unit ?? unit)))));
    default:
      return h("input", { ...common, type: "text", maxlength: field.max, value: field.value });
  }
}

/** Reads a field's value from its form. */
function read(form, field) {
  if (field.kind === "units") return [...form.querySelectorAll(`input[name="${field.name}"]:checked`)].map((box) => box.value);
  const value = form.elements.namedItem(field.name).value;
  if (field.kind === "lines") return value.split("\n").map((line) => line.trim()).filter(Boolean);
  if (field.kind === "number") return value === "" ? null : Number(value);
  return field.kind === "area" || field.kind === "text" ? value.trim() : value;
}

/** What is wrong with the values, as a catalogue key and its parameters, or null. */
function problem(fields, values) {
  for (const field of fields) {
    if (field.hidden?.(values)) continue;
    const value = values[field.name];
    const label = t(field.label);
    const empty = value === null || value === "" || (Array.isArray(value) && value.length === 0);
    if (empty && (field.required || field.requiredWhen?.(values))) return ["form.required", { label }];
    if (empty) continue;
    if (field.max && typeof value === "string" && value.length > field.max) return ["form.too_long", { label, max: field.max }];
    if (field.kind === "lines" && value.some((line) => line.length > field.max)) return ["form.too_long", { label, max: field.max }];
    if (field.kind === "units" && field.minimum && value.length < field.minimum) return ["form.units_minimum", { label, minimum: field.minimum }];
    if (Array.isArray(value) && field.maximum && value.length > field.maximum) return ["form.too_many", { label, maximum: field.maximum }];
    if (field.kind === "number" && (!Number.isInteger(value) || value < field.min || value > field.maxValue)) {
      return ["form.number_range", { label, min: field.min, max: field.maxValue }];
    }
    // A refusal says what would be accepted: the earliest or the latest date allowed.
    if (field.kind === "date" && field.min && value < field.min) return ["form.date_past", { label, date: day(field.min) }];
    if (field.kind === "date" && field.maxDate && value > field.maxDate) return ["form.date_after", { label, date: day(field.maxDate) }];
  }
  return null;
}

/** The words for a refusal from the hub (its code; its own message is English and for logs). */
export function refusal(error) {
  return has("error." + error.code) ? t("error." + error.code) : t("error.generic");
}

/** A form: `fields`, a submit button labelled `submitKey`; `send(values)` returns a promise. */
export function form({ id, title, intro, fields, submitKey, send, onCancel }) {
  const message = h("p", { class: "error", role: "alert", id: "form-error" });
  const submit = h("button", { class: "primary", type: "submit", id: "form-submit" }, t(submitKey));
  const element = h("form", { class: "action-form", id, novalidate: true },
    h("h4", {}, title),
    intro || null,
    // A field is a label around its control; a list of units to tick is a group (fieldset) whose
    // legend names it, each box labelled by its unit (labels may not hold labels).
    fields.map((field) => field.kind === "units"
      ? h("fieldset", { class: "wide", "data-field": field.name },
        h("legend", {}, t(field.label)), control(field), field.hint ? h("span", { class: "hint" }, t(field.hint)) : null)
      : h("label", { "data-field": field.name },
        t(field.label), control(field), field.hint ? h("span", { class: "hint" }, t(field.hint)) : null)),
    h("div", { class: "buttons" }, submit,
      onCancel ? h("button", { type: "button", id: "form-cancel", onclick: onCancel }, t("form.cancel")) : null),
    message);
  function values() {
    return Object.fromEntries(fields.map((field) => [field.name, read(element, field)]));
  }
  function showHidden() {
    const current = values();
    for (const field of fields) {
      element.querySelector(`[data-field="${field.name}"]`).classList.toggle("hidden", Boolean(field.hidden?.(current)));
    }
  }
  element.addEventListener("change", showHidden);
  showHidden();
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    const current = values();
    const wrong = problem(fields, current);
    if (wrong) {
      replace(message, t(wrong[0], wrong[1]));
      return;
    }
    replace(message);
    submit.disabled = true;
    try {
      await send(current);
    } catch (error) {
      replace(message, refusal(error));
    } finally {
      submit.disabled = false;
    }
  });
  return element;
}
