// main.js: the console's shell — sign-in, then a header (who is signed in, the language switch,
// sign-out), the connection's state, and the page the address names (#/cases, #/case/case-12).
import { h, data, replace } from "./dom.js";
import { HubConnection, signOut } from "./hub.js";
import { language, onLanguageChange, setLanguage, t } from "./i18n.js";
import { setPeople, setTimeZone, setUnits, unitName } from "./format.js";
import { showSignIn } from "./signin.js";
import { showCases } from "./cases.js";
import { showCase } from "./case.js";
import { showRegister } from "./register.js";
import { seesSupervision, showSupervision } from "./supervision.js";
import { readsRecord, showRecord } from "./record.js";
import { countInbox, inboxCounter, showInbox } from "./inbox.js";
import { conferenceName, setSchema } from "./schema.js";

const root = document.getElementById("app");
let signedIn = null; // {session, identity, hub}
let leavePage = () => {};
let shownRoom = null;

function start(notice) {
  signedIn?.hub.close();
  signedIn = null;
  document.title = t("app.title");
  showSignIn(root, begin, notice);
}

function begin(answer) {
  setTimeZone(answer.time_zone);
  const status = h("span", { class: "connection", id: "connection", role: "status" });
  const hub = new HubConnection(answer.session, {
    onState: (state) => {
      signedIn.state = state;
      showState();
    },
    onSessionEnded: (why) => start(t(why === "revoked" ? "signin.revoked" : "signin.expired")),
  });
  signedIn = { session: answer.session, identity: answer.identity, hub, status, state: "connecting", count: h("span", { class: "count", id: "inbox-count" }) };
  hub.open();
  hub.joinLobby().catch(() => {});
  // The header's count follows the lobby's notices and the acts in the case rooms the page is in.
  const counter = inboxCounter(hub, setCount);
  hub.onLobbyEvent(counter);
  hub.onCaseEvent(counter);
  // The protocol's vocabulary (forms, filters, checks), unit and people names for the pages; the
  // page is drawn once they are known (or failed).
  Promise.allSettled([
    // Over HTTPS, not the socket: the answer is large, and the socket lives all day.
    fetch("/v1/schema", { headers: { Authorization: "Bearer " + answer.session }, cache: "no-store" })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status))).then((result) => setSchema(result)),
    hub.request("units").then((result) => setUnits(result.units)),
    hub.request("people").then((result) => setPeople(result.people)),
  ]).then(() => route());
  window.addEventListener("hashchange", route);
}

/** The number of the person's inbox items, shown in the header. */
function setCount(count) {
  if (!signedIn) return;
  replace(signedIn.count, t("nav.inbox_count", { count }));
}

/** The connection's state, in the current language. */
function showState() {
  if (!signedIn) return;
  signedIn.status.className = "connection " + signedIn.state;
  replace(signedIn.status, t("connection." + signedIn.state));
}

function header() {
  const { identity, status } = signedIn;
  showState();
  // The conference's own name once signed in (a deployment names itself); else the product's.
  const conference = conferenceName();
  return h("header", {},
    h("h1", { id: "conference", title: conference ?? t("app.title") }, conference ? data(conference) : t("app.title")),
    h("nav", {},
      h("a", { href: "#/inbox", id: "nav-inbox" }, t("nav.inbox"), " ", signedIn.count),
      " ",
      h("a", { href: "#/cases", id: "nav-cases" }, t("nav.cases")),
      identity.roles.includes("coordinator") ? [" ", h("a", { href: "#/register", id: "nav-register" }, t("nav.register"))] : null,
      seesSupervision(identity) ? [" ", h("a", { href: "#/supervision", id: "nav-supervision" }, t("nav.supervision"))] : null,
      readsRecord(identity) ? [" ", h("a", { href: "#/record", id: "nav-record" }, t("nav.record"))] : null),
    h("span", { class: "who", id: "who", title: `${identity.name} · ${unitName(identity.unit)}` }, data(identity.name), " · ", data(unitName(identity.unit)), " · ",
      identity.roles.map((role) => t("role." + role)).join(t("list.separator"))),
    status,
    h("button", { type: "button", id: "language", onclick: () => setLanguage(language() === "en" ? "zh-CN" : "en") }, t("language.switch")),
    h("button", { type: "button", id: "sign-out", onclick: async () => {
      const session = signedIn.session;
      start();
      await signOut(session);
    } }, t("nav.sign_out")));
}

async function route() {
  if (!signedIn) return;
  const match = /^#\/case\/(case-\d+)$/.exec(location.hash);
  // Drawing the same case again (another language) keeps its room joined.
  if (!match || match[1] !== shownRoom) leavePage();
  leavePage = () => {};
  shownRoom = match ? match[1] : null;
  const main = h("main", { id: "page" });
  replace(root, header(), main);
  document.title = conferenceName() ? `${conferenceName()} · ${t("app.title")}` : t("app.title");
  if (match) {
    leavePage = await showCase(main, signedIn.hub, match[1], signedIn.identity);
    countInbox(signedIn.hub, setCount);
  } else if (location.hash === "#/register" && signedIn.identity.roles.includes("coordinator")) {
    showRegister(main, signedIn.hub);
  } else if (location.hash === "#/record" && readsRecord(signedIn.identity)) {
    await showRecord(main, signedIn.hub);
  } else if (location.hash === "#/supervision" && seesSupervision(signedIn.identity)) {
    await showSupervision(main, signedIn.hub);
  } else if (location.hash === "#/inbox" || location.hash === "" || location.hash === "#/") {
    leavePage = await showInbox(main, signedIn.hub, setCount);
  } else {
    await showCases(main, signedIn.hub, signedIn.identity);
  }
}

onLanguageChange(() => (signedIn ? route() : start()));
start();
