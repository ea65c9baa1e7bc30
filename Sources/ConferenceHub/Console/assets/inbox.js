// inbox.js: my work — everything the open cases wait for from this person or their unit, most
// urgent first, a page at a time (a button shows the next), with the time left coloured by the
// warning it has reached. It is read again whenever the conference lobby announces a milestone,
// every 20 seconds, and after a reconnection, so that it stays current without a reload.
import { data, h, replace } from "./dom.js";
import { day, sentence, timeLeft, unitName } from "./format.js";
import { t } from "./i18n.js";
import { limit } from "./schema.js";

/** Shows the inbox in `root`; `onCount` gets the number of items; returns a function that stops it. */
export async function showInbox(root, hub, onCount) {
  const list = h("ol", { class: "inbox", id: "inbox-items" });
  const note = h("p", { class: "hint", id: "inbox-note", "aria-live": "polite" });
  const more = h("button", { type: "button", id: "inbox-more", hidden: true }, t("inbox.more"));
  replace(root, h("section", { class: "inbox-page" }, h("h2", {}, t("nav.inbox")), note, list, more));
  // Items shown: a page at first, a page more each time the person asks; every read refreshes them all.
  const page = limit("page_size");
  let wanted = page;

  async function load() {
    let count = 0;
    let items = [];
    try {
      let offset = 0;
      do {
        const result = await hub.request("inbox", { offset, limit: Math.min(page, wanted - items.length) });
        count = result.count;
        items = items.concat(result.items);
        offset = result.next;
      } while (offset !== undefined && offset !== null && items.length < wanted);
    } catch {
      replace(note, t("error.generic"));
      return;
    }
    onCount(count);
    replace(note, count === 0 ? t("inbox.none") : items.length < count
      ? t("inbox.shown", { count, shown: items.length }) : t("inbox.count", { count }));
    more.hidden = items.length >= count;
    replace(list, items.map((item) => {
      const level = item.level === 100 ? "overdue" : item.level ? "w" + item.level : "ok";
      return h("li", { class: "work " + level, "data-kind": item.kind, "data-case": item.case },
        h("a", { href: `#/case/${encodeURIComponent(item.case)}` }, data(item.number), " ", data(item.title)),
        h("p", {}, sentence("work." + item.kind, {
          unit: item.unit ? unitName(item.unit) : t("inbox.office"), task: item.task, version: item.version, item: item.item,
          days: item.days, detail: item.detail ?? "",
        })),
        item.due ? h("p", { class: "due" }, t("inbox.due", { due: day(item.due) }), " · ", timeLeft(item.seconds_left, item.working_days_left)) : null);
    }));
  }

  more.addEventListener("click", () => {
    wanted += page;
    load();
  });
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
