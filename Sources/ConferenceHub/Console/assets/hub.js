// hub.js: the console's link to the hub. Signing in over HTTPS gives a session, held here in memory
// only (never stored, never in a URL); the WebSocket sends it in its first frame. Replies are
// matched to requests by id. When the connection drops, it reconnects with backoff, signs in
// again with the session, rejoins every room from the last event it saw (no gap, no event twice;
// when the hub cannot recover a room, the room's owner reloads its history), and sends again the
// messages typed meanwhile: each carries an idempotency key, so the hub stores it once.

import { isWrite } from "./schema.js";

export class HubError extends Error {
  constructor(code, message, extra = {}) {
    super(message);
    this.code = code;
    Object.assign(this, extra);
  }
}

/** Signs in; returns {session, expires_at, identity, credential}. */
export async function signIn(body) {
  let response;
  try {
    response = await fetch("/v1/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (error) {
    throw new HubError("network", String(error));
  }
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new HubError(answer.error || "internal", answer.message || "", {
      retryAfter: answer.retry_after_s, rule: answer.rule,
      minimumCharacters: answer.minimum_characters, minimumDistinctCharacters: answer.minimum_distinct_characters,
    });
  }
  return answer;
}

export async function signOut(session) {
  await fetch("/v1/session", { method: "DELETE", headers: { Authorization: "Bearer " + session }, cache: "no-store" }).catch(() => {});
}

export class HubConnection {
  constructor(session, { onState = () => {}, onSessionEnded = () => {} } = {}) {
    this.session = session;
    this.onState = onState;
    this.onSessionEnded = onSessionEnded;
    this.socket = null;
    this.ready = false;
    this.closedForGood = false;
    this.nextId = 1;
    this.pending = new Map(); // id → {resolve, reject, frame}
    this.waiting = []; // frames to send once authenticated
    this.rooms = new Map(); // room → {lastSeq, epoch, onEvent, onReset}
    this.outbox = new Map(); // key → {room, text, resolve, reject}
    this.attempt = 0;
    this.lobbyListeners = new Set();
    this.caseListeners = new Set();
    this.reconnectListeners = new Set();
  }

  /** Calls `listener` for every case event in a case room this page is in (an act, which may
   * change what the person owes); returns a function that stops it. */
  onCaseEvent(listener) {
    this.caseListeners.add(listener);
    return () => this.caseListeners.delete(listener);
  }

  /** Calls `listener` for every lobby event (notices of milestones); returns a function that stops it. */
  onLobbyEvent(listener) {
    this.lobbyListeners.add(listener);
    return () => this.lobbyListeners.delete(listener);
  }

  /** Calls `listener` after each reconnection; returns a function that stops it. */
  onReconnect(listener) {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  /** Joins the conference lobby for as long as the console is open. */
  async joinLobby() {
    await this.join("lobby", {
      onEvent: () => { for (const listener of this.lobbyListeners) listener(); },
      onReset: () => { for (const listener of this.lobbyListeners) listener(); },
    });
  }

  /** Opens the socket (and again after each drop, until closed). */
  open() {
    this.onState(this.attempt === 0 ? "connecting" : "reconnecting");
    const socket = new WebSocket(`wss://${location.host}/v1/ws`, "conferencehub.v1");
    this.socket = socket;
    socket.onopen = () => {
      socket.send(JSON.stringify({ id: "auth", type: "auth", token: this.session }));
    };
    socket.onmessage = (message) => this.received(message.data);
    socket.onclose = (event) => this.closed(event);
  }

  received(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.type === "event") return this.event(frame);
    if (frame.id === "auth") {
      // The session names who acts, even where the browser presented another person's
      // client certificate (the hub then sets the certificate aside): one identity per socket.
      if (frame.type !== "ok") {
        this.closedForGood = true;
        this.socket.close();
        this.onSessionEnded("expired");
        return;
      }
      this.identity = frame.result;
      this.ready = true;
      const reconnected = this.attempt > 0;
      this.attempt = 0;
      this.onState("connected");
      this.resume().then(() => {
        if (reconnected) for (const listener of this.reconnectListeners) listener();
      });
      return;
    }
    const waiter = this.pending.get(frame.id);
    if (!waiter) return;
    this.pending.delete(frame.id);
    if (frame.type === "ok") waiter.resolve(frame.result);
    else waiter.reject(new HubError(frame.error?.code || "internal", frame.error?.message || "", frame.error || {}));
  }

  event(frame) {
    const room = this.rooms.get(frame.room);
    if (!room) return;
    if (room.epoch && frame.epoch !== room.epoch) return; // from before a reset; the reload shows it
    if (frame.seq <= room.lastSeq) return; // seen already (a replay after reconnecting)
    room.lastSeq = frame.seq;
    if (frame.kind === "presence") {
      room.presence = (room.presence || []).filter((member) => member.person !== frame.person);
      if (frame.presence === "joined") room.presence.push({ person: frame.person, unit: frame.unit });
    }
    room.onEvent(frame);
    if (frame.kind === "case") for (const listener of this.caseListeners) listener();
  }

  closed(event) {
    this.ready = false;
    this.socket = null;
    // What was sent and not answered will be answered by nobody: ask again after reconnecting
    // (reads), or send again with the same key (posts, in the outbox).
    const unsent = new Set(this.waiting); // still waiting to be sent: they go out after reconnecting
    for (const [id, waiter] of [...this.pending]) {
      const frame = waiter.frame;
      if (unsent.has(frame)) continue;
      if (frame.type === "post") {
        this.pending.delete(id); // the outbox sends it again, with its key
      } else if (isWrite(frame.type)) {
        // A change may have been made before the connection dropped: never sent twice on its
        // own. The person sees the case as it now is and decides.
        this.pending.delete(id);
        waiter.reject(new HubError("connection_lost", "the connection dropped before the hub answered"));
      } else if (frame.type === "join" && this.rooms.has(frame.room)) {
        this.pending.delete(id); // the rejoin answers it
        this.rooms.get(frame.room).pendingJoin = waiter;
      } else {
        this.waiting.push(frame);
      }
    }
    if (this.closedForGood) return;
    if (event.code === 1008 && /revoked|authentication/.test(event.reason || "")) {
      this.closedForGood = true;
      this.onSessionEnded("revoked");
      return;
    }
    this.attempt += 1;
    this.onState("reconnecting");
    const delay = Math.min(30000, 500 * 2 ** Math.min(this.attempt, 6)) * (0.75 + Math.random() / 2);
    setTimeout(() => this.open(), delay);
  }

  /** After authenticating: rejoin rooms from where they were, then resend what waits. */
  async resume() {
    // A room whose first join has not gone out yet (asked before the socket was ready: the lobby,
    // at sign-in) joins by that request, not twice: a second join is refused, and the refusal
    // used to drop the room, so that its events (the lobby's notices) went unheard.
    const queued = new Set(this.waiting.filter((frame) => frame.type === "join").map((frame) => frame.room));
    const rejoins = [...this.rooms.entries()].filter(([name]) => !queued.has(name)).map(([name, room]) => this.rejoin(name, room));
    const frames = this.waiting.splice(0);
    for (const frame of frames) this.socket.send(JSON.stringify(frame));
    for (const [key, item] of this.outbox) this.sendPost(key, item);
    await Promise.allSettled(rejoins);
  }

  async rejoin(name, room) {
    const fields = { room: name };
    if (room.lastSeq > 0 && room.epoch) Object.assign(fields, { last_seq: room.lastSeq, epoch: room.epoch });
    try {
      const result = await this.request("join", fields);
      room.pendingJoin?.resolve(result);
      room.pendingJoin = null;
      if (room.lastSeq > 0 && !result.recovered) {
        room.epoch = result.epoch;
        room.lastSeq = result.seq;
        room.onReset(result);
      } else {
        room.epoch = result.epoch;
      }
    } catch (error) {
      room.pendingJoin?.reject(error);
      room.pendingJoin = null;
      if (error.code !== "invalid_state") room.onReset(null);
    }
  }

  /** Sends a request; resolves with its result or rejects with a HubError. */
  request(type, fields = {}) {
    const id = `r${this.nextId++}`;
    const frame = { id, type, ...fields };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, frame });
      if (this.ready) this.socket.send(JSON.stringify(frame));
      else this.waiting.push(frame);
    });
  }

  /** Joins `room`: returns the join result; `onEvent` gets every later event once, in order. */
  async join(room, { onEvent, onReset }) {
    const joined = this.rooms.get(room);
    if (joined) {
      // Already in the room (the page was drawn again, in another language): new listeners,
      // and the newest events are read again with history by the caller.
      Object.assign(joined, { onEvent, onReset });
      return { room, epoch: joined.epoch, seq: joined.lastSeq, presence: joined.presence || [] };
    }
    const entry = { lastSeq: 0, epoch: null, onEvent, onReset };
    this.rooms.set(room, entry);
    try {
      const result = await this.request("join", { room });
      entry.epoch = result.epoch;
      entry.lastSeq = Math.max(entry.lastSeq, result.seq);
      entry.presence = result.presence;
      return result;
    } catch (error) {
      this.rooms.delete(room);
      throw error;
    }
  }

  /** Marks events up to `seq` as seen (history read after joining). */
  seen(room, seq) {
    const entry = this.rooms.get(room);
    if (entry && seq > entry.lastSeq) entry.lastSeq = seq;
  }

  async leave(room) {
    if (!this.rooms.delete(room)) return;
    try {
      await this.request("leave", { room });
    } catch {
      // not joined any more: nothing to do
    }
  }

  /** Posts `text` to `room` exactly once, however often the connection drops meanwhile. */
  post(room, text) {
    const key = "c-" + crypto.randomUUID();
    return new Promise((resolve, reject) => {
      const item = { room, text, resolve, reject };
      this.outbox.set(key, item);
      if (this.ready) this.sendPost(key, item);
    });
  }

  sendPost(key, item) {
    const id = `p${this.nextId++}`;
    const frame = { id, type: "post", room: item.room, text: item.text, key };
    this.pending.set(id, {
      frame,
      resolve: (result) => {
        this.outbox.delete(key);
        item.resolve(result);
      },
      reject: (error) => {
        this.outbox.delete(key);
        item.reject(error);
      },
    });
    this.socket.send(JSON.stringify(frame));
  }

  /** Messages typed and not yet stored. */
  get unsent() {
    return this.outbox.size;
  }

  close() {
    this.closedForGood = true;
    this.socket?.close(1000);
  }
}
