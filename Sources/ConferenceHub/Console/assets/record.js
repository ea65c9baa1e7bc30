// record.js: the decision record, checked by this browser. The checkpoint's signature is checked
// with the conference's public key as this browser first saw it (kept in localStorage, with its
// fingerprint shown to compare with the one the conference office publishes); the checkpoint must
// extend the last one this browser saw (a consistency proof); each entry must be in the signed
// tree (an inclusion proof over the entry's own bytes); a seal must match the minutes it seals.
// Nothing the hub says about verification is taken on its word.
import { data, h, replace } from "./dom.js";
import { dateTime, unitName } from "./format.js";
import { t } from "./i18n.js";
import { checkCheckpoint, checkConsistency, checkInclusion, fingerprint, fromBase64, leafHash, toBase64 } from "./verify.js";

const PINNED = "conferencehub.record";

/** Who may read the record: every member of the conference but an administrator alone. */
export function readsRecord(identity) {
  return ["officer", "leader", "coordinator", "auditor"].some((role) => identity.roles.includes(role));
}

function pinned() {
  try {
    return JSON.parse(localStorage.getItem(PINNED) ?? "null");
  } catch {
    return null;
  }
}

/** What an entry records, in words. */
function describe(entry) {
  switch (entry.kind) {
    case "outcome": return [t("record.outcome", { item: entry.item, outcome: t("record.outcome_kind." + entry.outcome?.kind) }), " ", data(entry.proposal)];
    case "signoff": return [data(unitName(entry.unit)), t(entry.approve ? "record.signoff_approve" : "record.signoff_object"),
      entry.reason ? [t("punct.colon"), data(entry.reason)] : null];
    case "seal": return t("record.seal");
    case "restore": return t("record.restore");
    default: return data(entry.kind);
  }
}

/** Shows the record in `root`. */
export async function showRecord(root, hub) {
  const status = h("div", { id: "record-checkpoint", "aria-live": "polite" });
  const key = h("p", { class: "hint", id: "record-key" });
  const body = h("tbody", { id: "record-entries", "aria-busy": "true" });
  const more = h("button", { type: "button", id: "record-more", hidden: true }, t("cases.more"));
  replace(root,
    h("section", { class: "record" },
      h("h2", {}, t("nav.record")),
      h("p", { class: "hint" }, t("record.explain")),
      status, key,
      h("table", { id: "record-table" },
        h("thead", {}, h("tr", {}, ["record.index", "record.meeting", "record.what", "record.verified"].map((name) => h("th", { scope: "col" }, t(name))))),
        body),
      more));

  // Meetings by their titles (the record names them by id).
  const titles = new Map();
  for (let after = null; ;) {
    const page = await hub.request("meetings", after ? { limit: 500, after } : { limit: 500 });
    for (const meeting of page.meetings) titles.set(meeting.meeting, meeting.title);
    if (!page.next) break;
    after = page.next;
  }
  let checkpoint = null;
  try {
    checkpoint = await hub.request("decisions.checkpoint");
  } catch (error) {
    // An empty log has no checkpoint (not_found); anything else is said as it is.
    replace(status, error.code === "not_found" ? t("record.empty") : t("error.generic"));
    body.setAttribute("aria-busy", "false");
    return;
  }
  const seen = pinned();
  const publicKey = seen?.public_key ?? checkpoint.public_key;
  let problem = null;
  if (seen && seen.public_key !== checkpoint.public_key) problem = "key_changed";
  if (!problem) problem = await checkCheckpoint(checkpoint, fromBase64(publicKey));
  if (!problem && seen && seen.size > checkpoint.size) problem = "consistency";
  if (!problem && seen && seen.size > 0) {
    try {
      const proof = await hub.request("decisions.consistency", { first: seen.size, second: checkpoint.size });
      problem = await checkConsistency(seen.size, checkpoint.size, fromBase64(seen.root), fromBase64(checkpoint.root), proof.path.map(fromBase64));
    } catch {
      problem = "unavailable";
    }
  }
  if (!problem) localStorage.setItem(PINNED, JSON.stringify({ public_key: publicKey, size: checkpoint.size, root: checkpoint.root }));
  status.dataset.verified = String(!problem);
  replace(status, h("p", { class: problem ? "not-verified" : "verified" },
    problem ? t("record.checkpoint_failed", { why: t("record.why." + problem) })
      : t(seen ? "record.checkpoint_ok" : "record.checkpoint_first", { size: checkpoint.size, previous: seen?.size ?? 0 }),
    " ", t("record.signed_at", { at: dateTime(checkpoint.at) })));
  replace(key, t("record.key", { fingerprint: await fingerprint(fromBase64(publicKey)) }));
  const root_ = fromBase64(checkpoint.root);

  /** Checks one listed entry; answers null or what failed. */
  async function check(listed) {
    if (problem) return "checkpoint";
    const inclusion = await hub.request("decisions.inclusion", { index: listed.index, size: checkpoint.size });
    const leaf = await leafHash(listed.entry);
    if (toBase64(leaf) !== inclusion.leaf_hash) return "entry";
    const failed = await checkInclusion(listed.index, checkpoint.size, leaf, inclusion.path.map(fromBase64), root_);
    if (failed) return failed;
    if (listed.kind === "seal") {
      const sealed = JSON.parse(listed.entry);
      const minutes = await hub.request("meeting.minutes", { meeting: sealed.meeting, format: "markdown" });
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(minutes.markdown)));
      if (toBase64(digest) !== sealed.minutes_sha256) return "minutes";
    }
    return null;
  }

  let next = 0;
  async function load() {
    body.setAttribute("aria-busy", "true");
    more.disabled = true;
    const page = await hub.request("decisions.entries", { from: next, limit: 100 });
    for (const listed of page.entries) {
      if (listed.index >= checkpoint.size) continue; // appended after the checkpoint: the next visit checks it
      const entry = JSON.parse(listed.entry);
      const cell = h("td", { class: "verifying" }, t("record.verifying"));
      body.appendChild(h("tr", { "data-index": listed.index },
        h("td", {}, String(listed.index + 1)),
        h("td", {}, data(titles.get(listed.meeting) ?? listed.meeting ?? "")),
        h("td", {}, describe(entry)),
        cell));
      let failed;
      try {
        failed = await check(listed);
      } catch {
        failed = "unavailable";
      }
      cell.className = failed ? "not-verified" : "verified";
      cell.dataset.verified = String(!failed);
      replace(cell, failed ? t("record.failed", { why: t("record.why." + failed) }) : t("record.ok"));
    }
    next = page.next ?? null;
    more.hidden = next === null;
    more.disabled = false;
    body.setAttribute("aria-busy", "false");
  }
  more.addEventListener("click", () => { if (next !== null) load(); });
  await load();
}
