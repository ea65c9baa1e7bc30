// case.js: one case — its live room (messages, presence, case events as sentences), a message box
// (Enter sends; each message carries an idempotency key, so a retry never posts twice), its state
// (casestate.js) and what this person may do with it now (actions.js). The state is drawn from the
// reply to this person's act, and read once (coalesced) when others act.
import { data, h, replace } from "./dom.js";
import { dateTime, describeCaseEvent, personName, sentence, unitName } from "./format.js";
import { has, t } from "./i18n.js";
import { renderState } from "./casestate.js";
import { showActions } from "./actions.js";
import { limit } from "./schema.js";

/** Shows case `room` in `root`; returns a function that leaves it. */
export async function showCase(root, hub, room, identity) {
  const timeline = h("ol", { class: "timeline", id: "timeline", "aria-live": "polite" });
  const state = h("section", { class: "state", id: "case-state" });
  const actions = h("section", { class: "case-actions", id: "case-actions" });
  const heading = h("h2", { id: "case-title" }, data(room));
  const presence = h("p", { class: "presence", id: "presence" });
  const notice = h("p", { class: "error", role: "alert", id: "post-error" });
  const pending = h("ul", { class: "timeline pending", id: "pending-messages", "aria-live": "polite" });
  const box = h("textarea", { id: "message-box", rows: 2, maxlength: limit("message_text_length"), placeholder: t("case.message_placeholder"), "aria-label": t("case.message_label") });
  const items = new Map(); // seq → element
  const present = new Map(); // person → unit

  function add(event) {
    if (items.has(event.seq)) return;
    items.set(event.seq, render(event));
    const ordered = [...items.entries()].sort((a, b) => a[0] - b[0]).map((entry) => entry[1]);
    replace(timeline, ordered);
    timeline.scrollTop = timeline.scrollHeight;
  }

  function onEvent(event) {
    if (event.kind === "presence") {
      if (event.presence === "joined") present.set(event.person, event.unit);
      else present.delete(event.person);
      showPresence();
    }
    add(event);
    if (event.kind === "case") {
      // This person's own act is drawn from its reply; another's is read once, however many of
      // its events arrive.
      const sequence = event.case_event?.sequence;
      newest = Math.max(newest, typeof sequence === "number" ? sequence : drawn + 1);
      catchUp();
    }
  }

  function showPresence() {
    replace(presence, t("case.present"), [...present.entries()].map(([person, unit]) =>
      h("span", { class: "person" }, sentence("person.with_unit", { person: personName(person), unit: unitName(unit) }))));
  }

  async function loadHistory(before) {
    const result = await hub.request("history", { room, before, limit: 100 });
    for (const event of result.events) add(event);
    if (result.events.length) hub.seen(room, result.events[result.events.length - 1].seq);
  }

  let petitioner = null;
  let drawn = 0; // the case's last event drawn on the page
  let newest = 0; // the case's last event this page has heard of
  let refreshing = null;
  let acting = 0; // this person's acts under way

  /** Draws the case as the hub answered it: `overview` (with this person's actions) and the case. */
  function draw(overview, details) {
    drawn = Math.max(drawn, details.last_sequence ?? 0);
    replace(heading, data(overview.number), " ", data(overview.title));
    replace(state, renderState(overview, details, petitioner || null));
    showActions(actions, hub, room, { overview, details, identity }, acted, sending);
  }

  /** After this person's act: the reply is the case as they now see it (null when the act took
   * the case away from their unit). */
  function acted(result) {
    if (result.overview && result.case_state) {
      draw(result.overview, result.case_state);
      catchUp();
    } else {
      replace(state, t("case.forbidden"));
      replace(actions);
    }
  }

  /** While this person's act is under way, its own events may arrive before its reply: the reply
   * draws them, so no read is made for them meanwhile. */
  function sending(request) {
    acting += 1;
    return request.then((result) => {
      acting -= 1; // `acted` draws the reply next, then catches up
      return result;
    }, (error) => {
      acting -= 1;
      catchUp();
      throw error;
    });
  }

  /** Reads the case if the page has heard of events it has not drawn — at once, one read at a
   * time. The events of one act are committed together, so one read covers them all, however
   * many arrive; a read is made again only for events committed after it began. */
  function catchUp() {
    const behind = newest > drawn;
    state.setAttribute("aria-busy", String(behind || refreshing !== null)); // screen readers wait; so do tests
    if (behind && !refreshing && !acting) refreshState();
  }

  /** Reads the case in one request (`case.overview` with the case). */
  function refreshState() {
    refreshing = (async () => {
      const heard = newest;
      try {
        const overview = await hub.request("case.overview", { case: room, include_case: true });
        if (petitioner === null) {
          petitioner = await hub.request("case.petitioner", { case: room }).then((result) => result.petitioner, () => false);
        }
        draw(overview, overview.case_state);
        // Everything heard before the read began was committed before it: it is drawn now.
        if (newest === heard) newest = Math.min(newest, drawn);
      } catch (error) {
        replace(state, t("error.generic"));
        newest = drawn; // not again and again: the next event reads it
      } finally {
        refreshing = null;
      }
      catchUp();
    })();
    return refreshing;
  }

  async function send() {
    const text = box.value.trim();
    if (!text) return;
    box.value = "";
    replace(notice);
    // Nothing vanishes: the message shows as waiting until the hub has stored it (then it is in
    // the room), across a dropped connection too.
    const waiting = h("li", { class: "message" }, h("span", { class: "waiting" }, t("case.waiting")), " ", data(text, "p"));
    pending.append(waiting);
    try {
      await hub.post(room, text);
    } catch (error) {
      box.value = text;
      replace(notice, has("error." + error.code) ? t("error." + error.code) : t("error.generic"));
    } finally {
      waiting.remove();
    }
  }

  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });

  replace(root, h("section", { class: "case" },
    h("p", {}, h("a", { href: "#/cases" }, t("case.back"))),
    heading,
    h("div", { class: "case-body" },
      state,
      h("div", { class: "work-column" }, actions,
        h("section", { class: "room" }, h("h3", {}, t("case.room")), presence, timeline, pending,
          h("div", { class: "compose" }, box, h("button", { class: "primary", id: "send", onclick: send }, t("case.send")), notice))))));

  try {
    const joined = await hub.join(room, {
      onEvent,
      onReset: () => {
        items.clear();
        replace(timeline);
        loadHistory(undefined);
      },
    });
    for (const member of joined.presence || []) present.set(member.person, member.unit);
    showPresence();
    await loadHistory(joined.seq + 1);
  } catch (error) {
    replace(root, h("p", { class: "error" }, error.code === "forbidden" ? t("case.forbidden") : error.code === "not_found" ? t("case.not_found") : t("error.generic")));
    return () => {};
  }
  refreshState();
  return () => hub.leave(room);
}

function render(event) {
  const when = h("time", { datetime: event.at }, dateTime(event.at));
  switch (event.kind) {
    case "message":
      return h("li", { class: "message", "data-seq": event.seq }, when, " ",
        h("strong", {}, sentence("person.with_unit", { person: personName(event.from.person), unit: unitName(event.from.unit) })), " ", data(event.text, "p"));
    case "presence":
      // The room is for the case: who comes and goes shows in the member list above, not as
      // lines among the case's events and messages (kept, hidden, in the room's order).
      return h("li", { class: "presence-event", "data-seq": event.seq, hidden: true }, when, " ",
        sentence(event.presence === "joined" ? "event.joined" : "event.left", { person: personName(event.person), unit: unitName(event.unit) }));
    case "case":
      return h("li", { class: "case-event", "data-seq": event.seq }, when, " ", describeCaseEvent(event.case_event));
    default:
      return h("li", { class: "notice-event", "data-seq": event.seq }, when, " ", t("event.notice"));
  }
}
