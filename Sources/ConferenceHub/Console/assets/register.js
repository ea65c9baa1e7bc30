// register.js: a coordinator registers a petition: title, summary, category, channel, the
// date received, the petitioner's name and contact (petitioner data: sent to the hub, shown later
// only to those entitled to it) and the involved units picked from the unit hierarchy. The hub
// routes it at once: to the one unit, or into lead negotiation among several.
import { h, replace } from "./dom.js";
import { conferenceTimeZone, unitHierarchy } from "./format.js";
import { form, today } from "./forms.js";
import { t } from "./i18n.js";
import { checked, officeUnits, registrationField } from "./schema.js";

/** A field of the registration: its checks from the hub's schema, the rest from the page. */
const field = (path, ui, words) => checked(registrationField(path), ui, words);

export function showRegister(root, hub) {
  const fields = [
    field("title", { name: "title", kind: "text", label: "register.title_field" }),
    field("summary", { name: "summary", kind: "area", label: "register.summary" }),
    field("category", { name: "category", kind: "choice", label: "register.category", value: "claim" }, "category."),
    field("channel", { name: "channel", kind: "choice", label: "register.channel", value: "visit" }, "channel."),
    field("received_on", { name: "received_on", kind: "date", label: "register.received_on", value: today(conferenceTimeZone()), maxDate: today(conferenceTimeZone()) }),
    field("petitioner.name", { name: "petitioner_name", kind: "text", label: "register.petitioner_name" }),
    field("petitioner.contact", { name: "petitioner_contact", kind: "text", label: "register.petitioner_contact" }),
    field("involved_units", { name: "involved_units", kind: "units", label: "register.units", hint: "register.units_hint",
      options: unitHierarchy().filter((unit) => !officeUnits().includes(unit.unit)) }),
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
