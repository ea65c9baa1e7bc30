"""Figures for the console (scripts/bench-console): time to interactive, assets' size, message
latency between two browsers, and the hub's memory per signed-in browser. Uses the harness of
console_test.py (the real binary, NSS databases trusting the conference CA)."""
import json
import os
import statistics
import sys
import tempfile
import time

from selenium.webdriver.common.by import By
from websockets.sync.client import connect as ws_connect

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console_test import PASSWORDS, Browser, Hub, day  # noqa: E402


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    # `--only tti|send|act|memory` runs one part (the others are skipped).
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None

    def part(name):
        return only is None or only == name

    root = tempfile.mkdtemp(prefix="console-bench-")
    hub = Hub(root)
    for unit in ["housing", "finance"]:
        hub.admin("unit", "add", "--id", unit, "--name", unit)
    people = ["coord", "h-officer", "f-officer"] + [f"p{index}" for index in range(10)]
    for person in people:
        role, unit = ("coordinator", "conference-office") if person == "coord" else ("officer", "housing" if person != "f-officer" else "finance")
        hub.admin("person", "add", "--id", person, "--name", person, "--unit", unit, "--role", role)
        PASSWORDS.setdefault(person, f"bench-secret-A{len(PASSWORDS)}-2026")
    one_time = {person: hub.admin("person", "password", person).strip().splitlines()[-1] for person in people}
    tokens = {person: hub.admin("credential", "issue", "--person", person, "--token").strip().splitlines()[-1] for person in people}
    hub.start()
    for person in people:
        hub.sign_in({"person": person, "password": one_time[person], "new_password": PASSWORDS[person]})
    case = hub.ask(tokens["coord"], {"type": "case.register", "title": "bench", "summary": "s", "category": "claim", "channel": "visit",
                                     "received_on": "2026-12-01", "involved_units": ["housing", "finance"],
                                     "petitioner": {"name": "n", "contact": "c"}})[0]["case"]
    figures = {}

    if part("tti"):
        # Time to interactive: the sign-in form usable, with an empty cache each time.
        browser = Browser(hub, "tti")
        loads = []
        for _ in range(20):
            browser.driver.execute_cdp_cmd("Network.clearBrowserCache", {})
            browser.driver.get("about:blank")
            browser.open("/")
            browser.element("signin-person")
            loads.append(browser.driver.execute_script(
                "const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd - n.startTime"))
            transferred = browser.driver.execute_script(
                "return performance.getEntriesByType('resource').reduce((sum, r) => sum + r.decodedBodySize, 0)"
                " + performance.getEntriesByType('navigation')[0].decodedBodySize")
        figures["time_to_interactive_ms"] = {"median": statistics.median(loads), "max": max(loads), "loads": len(loads)}
        figures["assets_bytes_loaded"] = transferred
        browser.quit()

    if part("send"):
        # Send in one browser, see in the other.
        sender, receiver = Browser(hub, "sender"), Browser(hub, "receiver")
        sender.sign_in("h-officer")
        receiver.sign_in("f-officer")
        for b in (sender, receiver):
            b.driver.get(hub.origin + "/")
            b.submit_sign_in(b is sender and "h-officer" or "f-officer", PASSWORDS[b is sender and "h-officer" or "f-officer"])
            b.wait_text("connection", "已连接")
            b.driver.execute_script(f"location.hash = '#/case/{case}'")
            b.until(lambda d, b=b: d.execute_script("return document.querySelectorAll('#timeline li').length") > 0, "timeline")
        receiver.driver.execute_script("""
            window.seen = {};
            new MutationObserver(() => {
              for (const li of document.querySelectorAll('#timeline li.message')) {
                const m = /bench-(\\d+)/.exec(li.textContent);
                if (m && !(m[1] in window.seen)) window.seen[m[1]] = performance.timeOrigin + performance.now();
              }
            }).observe(document.getElementById('timeline'), {childList: true, subtree: true});""")
        latencies = []
        for index in range(100):
            sent = sender.driver.execute_script(f"""
                const box = document.getElementById('message-box');
                box.value = 'bench-{index}';
                const at = performance.timeOrigin + performance.now();
                box.dispatchEvent(new KeyboardEvent('keydown', {{key: 'Enter', bubbles: true}}));
                return at;""")
            seen = receiver.until(lambda d: d.execute_script(f"return window.seen['{index}']"), f"message {index}")
            latencies.append(seen - sent)
        figures["send_to_see_ms"] = {"median": statistics.median(latencies), "p99": percentile(latencies, 0.99), "messages": len(latencies)}
        sender.quit()
        receiver.quit()

    if part("act"):
        # An act in one browser, seen in another: a co-handling unit reports progress on its task
        # (finance), the lead unit's page shows it (housing); the requests each browser sends per act,
        # from Chromium's own network log.
        hub.ask(tokens["h-officer"], {"type": "negotiation.answer", "case": case, "answer": "claim"})
        hub.ask(tokens["f-officer"], {"type": "negotiation.answer", "case": case, "answer": "cohandle"})
        for change in [{"type": "accepted"}, {"type": "handling_started"},
                       {"type": "task_assigned", "task": {"unit": "finance", "what": "bench task", "due": day(14)}}]:
            hub.ask(tokens["h-officer"], {"type": "case.change", "case": case, "change": change})
        hub.ask(tokens["f-officer"], {"type": "case.change", "case": case, "change": {"type": "task_acknowledged", "task": 1}})
        actor, watcher = Browser(hub, "actor"), Browser(hub, "watcher")
        for b, person in ((actor, "f-officer"), (watcher, "h-officer")):
            b.sign_in(person)
            b.driver.execute_script(f"location.hash = '#/case/{case}'")
            b.until(lambda d: d.execute_script("return document.getElementById('case-tasks') !== null"), "the tasks")
            b.driver.get_log("performance")
        watcher.driver.execute_script("""
            window.seenActs = {};
            new MutationObserver(() => {
              const tasks = document.getElementById('case-tasks');
              const m = tasks && /bench-act-(\\d+)/.exec(tasks.textContent);
              if (m && !(m[1] in window.seenActs)) window.seenActs[m[1]] = performance.timeOrigin + performance.now();
            }).observe(document.getElementById('page'), {childList: true, subtree: true, characterData: true});""")

        def frames(browser):
            sent = []
            for entry in browser.driver.get_log("performance"):
                message = json.loads(entry["message"])["message"]
                if message.get("method") == "Network.webSocketFrameSent":
                    sent.append(json.loads(message["params"]["response"]["payloadData"]).get("type"))
            return sent

        act_latencies, actor_frames, watcher_frames = [], [], []
        acts = 50
        for index in range(acts):
            actor.until(lambda d: d.find_elements(By.ID, "action-task_progress-1"), "the progress action")
            actor.driver.find_element(By.ID, "action-task_progress-1").click()
            field = actor.element("f-text")
            field.send_keys(f"bench-act-{index}")
            sent = actor.driver.execute_script(
                "const at = performance.timeOrigin + performance.now(); document.getElementById('form-submit').click(); return at;")
            seen = watcher.until(lambda d: d.execute_script(f"return window.seenActs['{index}']"), f"act {index}")
            act_latencies.append(seen - sent)
            actor.until(lambda d: not d.find_elements(By.ID, "form-submit"), "the form gone")
        # Both pages settle (a read may still be under way), then their frames are counted.
        for b in (actor, watcher):
            b.until(lambda d: d.execute_script("return document.getElementById('case-state').getAttribute('aria-busy') !== 'true'"), "settled")
        actor_frames, watcher_frames = frames(actor), frames(watcher)
        case_requests = ("case.change", "case.overview", "case.get", "case.petitioner", "negotiation.answer")
        figures["act_to_see_ms"] = {"median": statistics.median(act_latencies), "p99": percentile(act_latencies, 0.99), "acts": acts}
        figures["requests_per_act"] = {
            "acting_browser": sum(1 for kind in actor_frames if kind in case_requests) / acts,
            "other_browser": sum(1 for kind in watcher_frames if kind in case_requests) / acts,
            "acting_by_type": {kind: actor_frames.count(kind) for kind in sorted(set(actor_frames), key=str)},
            "other_by_type": {kind: watcher_frames.count(kind) for kind in sorted(set(watcher_frames), key=str)},
        }
        actor.quit()
        watcher.quit()

    if part("memory"):
        # Memory per client, each kind on a freshly started hub warmed up the same way (one line
        # client and one browser, used and gone): the growth of the memory in use
        # (conferencehub_heap_in_use_bytes: what the allocator handed out and did not get back) from
        # before 10 clients connect to when only their WebSockets remain: for browsers, once their
        # idle HTTPS connections (page, files, sign-in) have timed out, so that the hub holds 10
        # connections. RSS is shown too; it also keeps what closed connections freed, for reuse.
        def restart():
            hub.stop()
            hub.start()
            return hub.process.pid

        def settle(connections):
            deadline = time.time() + 60
            while hub.metric("conferencehub_connections_open") != connections:
                if time.time() > deadline:
                    raise AssertionError("the connections did not settle")
                time.sleep(0.5)

        def line_clients():
            sockets = []
            for index in range(10):
                socket = ws_connect(f"wss://localhost:{hub.port}/v1/ws", ssl=hub.context, subprotocols=["conferencehub.v1"])
                for number, request in enumerate([{"type": "auth", "token": tokens[f"p{index}"]}, {"type": "join", "room": "lobby"},
                                                  {"type": "join", "room": case}]):
                    socket.send(json.dumps({"id": f"m{number}", **request}))
                    while json.loads(socket.recv()).get("id") != f"m{number}":
                        pass
                sockets.append(socket)
            return sockets

        def browsers_on_the_case():
            opened = []
            for index in range(10):
                b = Browser(hub, f"m{index}")
                b.sign_in(f"p{index}")
                b.driver.execute_script(f"location.hash = '#/case/{case}'")
                b.until(lambda d: d.execute_script("return document.querySelectorAll('#timeline li').length") > 0, "timeline")
                b.until(lambda d: d.execute_script("return document.getElementById('actions') !== null"), "the actions")
                opened.append(b)
            return opened

        def warm_up():
            """One client of each kind, used and gone: the first use of a code path (TLS, HTTP,
            sign-in, the allocator's per-thread caches) costs once per process, not per client."""
            socket = ws_connect(f"wss://localhost:{hub.port}/v1/ws", ssl=hub.context, subprotocols=["conferencehub.v1"])
            socket.send(json.dumps({"id": "w", "type": "auth", "token": tokens["coord"]}))
            socket.recv()
            socket.close()
            b = Browser(hub, "warm-up")
            b.sign_in("coord")
            b.driver.execute_script(f"location.hash = '#/case/{case}'")
            b.until(lambda d: d.execute_script("return document.getElementById('actions') !== null"), "the actions")
            b.quit()
            settle(0)

        for kind, connect in (("line_client", line_clients), ("browser", browsers_on_the_case)):
            pid = restart()
            warm_up()
            heap, rss = hub.metric("conferencehub_heap_in_use_bytes"), rss_kib(pid)
            clients = connect()
            settle(10)
            figures[f"hub_heap_kib_per_{kind}"] = (hub.metric("conferencehub_heap_in_use_bytes") - heap) / 1024 / 10
            figures[f"hub_rss_kib_per_{kind}"] = (rss_kib(pid) - rss) / 10
            for client in clients:
                (client.quit if kind == "browser" else client.close)()
        figures["heap_ratio_browser_to_line_client"] = figures["hub_heap_kib_per_browser"] / figures["hub_heap_kib_per_line_client"]
    hub.stop()
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
