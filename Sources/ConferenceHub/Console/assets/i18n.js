// i18n.js: every word the console shows comes from a message catalogue: Simplified Chinese by
// default, English by a switch that persists in this browser.
import zh from "./messages/zh-CN.js";
import en from "./messages/en.js";

const catalogues = { "zh-CN": zh, en };
const storageKey = "conferencehub.language";
let current = catalogues[localStorage.getItem(storageKey)] ? localStorage.getItem(storageKey) : "zh-CN";
const listeners = new Set();

export function language() {
  return current;
}

export function setLanguage(code) {
  if (!catalogues[code]) return;
  current = code;
  localStorage.setItem(storageKey, code);
  document.documentElement.lang = code;
  for (const listener of listeners) listener(code);
}

export function onLanguageChange(listener) {
  listeners.add(listener);
}

/** The message `key` in the current language, with `{name}` replaced by `params.name`. */
export function t(key, params = {}) {
  const template = catalogues[current][key];
  if (template === undefined) {
    console.error("no message", key);
    return key;
  }
  return template.replace(/\{(\w+)\}/g, (_, name) => (params[name] === undefined ? "" : String(params[name])));
}

/** Whether a message exists (for codes that come from the hub). */
export function has(key) {
  return catalogues[current][key] !== undefined;
}

document.documentElement.lang = current;
