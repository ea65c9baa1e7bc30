// inbox.js: my work — everything the open cases wait for from this person or their
// unit, most urgent first, with the time left coloured by the warning it has reached. It is read
// again whenever the conference lobby announces a milestone, every 20 seconds, and after a
// reconnection, so that it stays current without a reload.
import { data, h, replace } from "./dom.js";
import { day, sentence, timeLeft, unitName } from "./format.js";
import { t } from "./i18n.js";

/** Shows the inbox in `root`; `onCount` gets the number of items; returns a function that stops it. */
export async function showInbox(root, hub, onCount) {
  const list = h("ol", { class: "inbox", id: "inbox-items" });
  const note = h("p", { class: "hint", id: "inbox-note" });
  replace(root, h("section", { class: "inbox-page" }, h("h2", {}, t("nav.inbox")), note, list));

  async function load() {
    let result;
    try {
      result = await hub.request("inbox", { limit: 200 });
    } catch {
      replace(note, t("error.generic"));
      return;
    }
    onCount(result.count);
    replace(note, result.count === 0 ? t("inbox.none") : t("inbox.count", { count: result.count }));
    replace(list, result.items.map((item) => {
      const level = item.level === 100 ? "overdue" : item.level ? "w" + item.level : "ok";
      return h("li", { class: "work " + level, "data-kind": item.kind, "data-case": item.case },
        h("a", { href: `#/case/${encodeURIComponent(item.case)}` }, data(item.case), " ", data(item.title)),
        h("p", {}, sentence("work." + item.kind, {
          unit: item.unit ? unitName(item.unit) : t("inbox.office"), task: item.task, version: item.version, item: item.item,
          days: item.days, detail: item.detail ?? "",
        })),
        item.due ? h("p", { class: "due" }, t("inbox.due", { due: day(item.due) }), " · ", timeLeft(item.seconds_left)) : null);
    }));
  }

  await load();
  const timer = setInterval(load, 20000);
  const stopListening = hub.onLobbyEvent(load);
  const stopReconnect = hub.onReconnect(load);
  return () => {
    clearInterval(timer);
    stopListening();
    stopReconnect();
  };
}

/** Keeps the count of the person's inbox in `element` (the header's link). */
export async function countInbox(hub, onCount) {
  try {
    onCount((await hub.request("inbox", { limit: 1 })).count);
  } catch {
    // the count is a convenience: the inbox page says what went wrong
  }
}

/** A counter for the header that reads the inbox at most once per `interval` ms however many
 * lobby notices arrive (each milestone of any case is one): the first at once, the rest folded
 * into one read at the end of the interval. */
export function inboxCounter(hub, onCount, interval = 10 * 1000) {
  let last = 0;
  let timer = null;
  return () => {
    if (timer) return;
    const wait = Math.max(0, last + interval - Date.now());
    timer = setTimeout(() => {
      timer = null;
      last = Date.now();
      countInbox(hub, onCount);
    }, wait);
  };
}
