// schema.js: the protocol's vocabulary as the hub serves it (`schema`): the fields of every change
// with their types and limits, the statuses, every enum's options, the deployment's time limits,
// what each command changes and the conference office's units. The console keeps no copy of its
// own: forms, filters, checks and the "never send a write again" rule read it from here.

let schema = null;

/** Keeps the hub's schema (the `schema` reply). */
export function setSchema(value) {
  schema = value;
}

/** The schema's field at `path` ("answer.request", "days") of a change of `type`, or null. */
export function changeField(type, path) {
  const kinds = [...(schema?.case_changes || []), ...(schema?.meeting_changes || [])];
  let fields = kinds.find((kind) => kind.type === type)?.fields || [];
  let found = null;
  for (const name of path.split(".")) {
    found = fields.find((field) => field.name === name) || null;
    if (!found) return null;
    fields = found.fields || found.items?.fields || [];
  }
  return found;
}

/** The fields of what `case.register` takes (`registered`'s `registration`). */
export function registrationField(path) {
  return changeField("registered", "registration." + path);
}

/** The options of an enum, in the hub's order. */
export function options(name) {
  return schema?.enums?.[name] || [];
}

/** Every case status in order, with `open` and `handling`. */
export function statuses() {
  return schema?.statuses || [];
}

/** A limit of the protocol (`message_text_length`) or on input (`reason_length`). */
export function limit(name) {
  return schema?.protocol_limits?.[name] ?? schema?.input_limits?.[name];
}

/** The units that act as the conference office. */
export function officeUnits() {
  return schema?.office_units || [];
}

/** The conference's own name (`init --conference`), or null. */
export function conferenceName() {
  return schema?.conference ?? null;
}

/** Whether `command` changes stored state without an idempotency key: such a request is never
 * sent again by itself after a dropped connection (it may have been recorded). */
export function isWrite(command) {
  return (schema?.commands || []).some((entry) => entry.name === command && entry.effect === "write");
}

/** A form field's checks from the schema's field: required, lengths, ranges, counts, options
 * (`words` is the catalogue prefix of the options' names). `ui` is the form's own part: name,
 * control kind, label, hint, value, visibility. */
export function checked(field, ui, words) {
  if (!field) return ui;
  const result = { ...ui };
  result.required = ui.required ?? (field.required && !field.allow_empty);
  if (field.type === "text") result.max = field.max_length;
  if (field.type === "integer") {
    result.min = field.minimum;
    result.maxValue = field.maximum;
  }
  if (field.type === "list") {
    result.minimum = field.min_items;
    result.maximum = field.max_items;
    if (field.items?.type === "text") result.max = field.items.max_length;
  }
  if (field.type === "choice" && !ui.options) result.options = options(field.enum).map((value) => [value, words + value]);
  return result;
}
