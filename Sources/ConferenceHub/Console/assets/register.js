// register.js: a coordinator registers a petition: title, summary, category, channel, the
// date received, the petitioner's name and contact (petitioner data: sent to the hub, shown later
// only to those entitled to it) and the involved units picked from the unit hierarchy. The hub
// routes it at once: to the one unit, or into lead negotiation among several.
import { h, replace } from "./dom.js";
import { conferenceTimeZone, unitHierarchy } from "./format.js";
import { form, today } from "./forms.js";
import { t } from "./i18n.js";

const categories = [["claim", "category.claim"], ["suggestion", "category.suggestion"], ["accusation", "category.accusation"]];
const channels = [["visit", "channel.visit"], ["letter", "channel.letter"], ["phone", "channel.phone"], ["online", "channel.online"]];

export function showRegister(root, hub) {
  const fields = [
    { name: "title", kind: "text", label: "register.title_field", required: true, max: 200 },
    { name: "summary", kind: "area", label: "register.summary", max: 10000 },
    { name: "category", kind: "choice", label: "register.category", options: categories, value: "claim" },
    { name: "channel", kind: "choice", label: "register.channel", options: channels, value: "visit" },
    { name: "received_on", kind: "date", label: "register.received_on", required: true, value: today(conferenceTimeZone()), maxDate: today(conferenceTimeZone()) },
    { name: "petitioner_name", kind: "text", label: "register.petitioner_name", required: true, max: 100 },
    { name: "petitioner_contact", kind: "text", label: "register.petitioner_contact", max: 200 },
    { name: "involved_units", kind: "units", label: "register.units", hint: "register.units_hint", required: true, minimum: 1,
      options: unitHierarchy().filter((unit) => unit.kind !== "petition_bureau") },
  ];
  replace(root, h("section", { class: "register" },
    h("p", {}, h("a", { href: "#/cases" }, t("case.back"))),
    h("h2", {}, t("register.heading")),
    form({
      id: "register-form", title: t("register.form_title"), fields, submitKey: "register.submit",
      send: async (values) => {
        const result = await hub.request("case.register", {
          title: values.title, summary: values.summary, category: values.category, channel: values.channel,
          received_on: values.received_on, involved_units: values.involved_units,
          petitioner: { name: values.petitioner_name, contact: values.petitioner_contact },
        });
        location.hash = `#/case/${result.case}`;
      },
    })));
}
