"""The hub as its users run it: every end-to-end path, run by whoever runs this file.

scripts/test runs it twice: as root within `swift test` (UnprivilegedPassTests), and, when it is
root, again as an ordinary user it creates, with no capability (CONFERENCEHUB_REQUIRE_UNPRIVILEGED=1
then makes the first test check that). Each test fails where a connection cannot be completed:
the hub serving with JSON logs, the line client posting and reading history, Python's websockets
client, a password sign-in and a message in the console in headless Chromium, a first look at the
demonstration conference (`serve --demo`), and admin backup and restore, with the restored
directory served and read back.

Uses the harness of console_test.py (the Hub and Browser classes); CONFERENCEHUB_BINARY names the
conference-hub binary.
"""
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import unittest

from console_test import BINARY, PASSWORDS, Browser, Hub, run
from websockets.sync.client import connect as ws_connect

REQUIRE_UNPRIVILEGED = os.environ.get("CONFERENCEHUB_REQUIRE_UNPRIVILEGED") == "1"


def effective_capabilities():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return None


class UnprivilegedPass(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="unprivileged-")
        hub = cls.hub = Hub(cls.root)
        hub.admin("unit", "add", "--id", "housing", "--name", "区住建局")
        hub.admin("person", "add", "--id", "coord", "--name", "赵联", "--unit", "conference-office", "--role", "coordinator")
        hub.admin("person", "add", "--id", "h-officer", "--name", "王芳", "--unit", "housing", "--role", "officer")
        one_time = hub.admin("person", "password", "h-officer").strip().splitlines()[-1]
        cls.token = hub.admin("credential", "issue", "--person", "coord", "--token").strip().splitlines()[-1]
        cls.token_file = os.path.join(cls.root, "coord.token")
        with open(cls.token_file, "w") as handle:
            handle.write(cls.token + "\n")
        os.chmod(cls.token_file, 0o600)
        hub.start()
        answer = hub.sign_in({"person": "h-officer", "password": one_time, "new_password": PASSWORDS["h-officer"]})
        assert "session" in answer, answer

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()
        shutil.rmtree(cls.root, ignore_errors=True)

    def client(self, port, data, *requests, token_file=None):
        """`conference-hub client --json` with `requests` on its input; its output lines, parsed."""
        arguments = [BINARY, "client", "--url", f"wss://localhost:{port}", "--ca", os.path.join(data, "tls", "ca.pem"), "--json"]
        if token_file:
            arguments += ["--token-file", token_file]
        else:
            credentials = os.path.join(data, "credentials", "admin")
            arguments += ["--cert", os.path.join(credentials, "cert.pem"), "--key", os.path.join(credentials, "key.pem")]
        done = subprocess.run(arguments, input="".join(json.dumps(request) + "\n" for request in requests),
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, f"the line client failed: {done.stdout} {done.stderr}")
        lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
        return {line["id"]: line for line in lines if "id" in line}

    def test_0_this_pass_runs_without_privilege_when_asked_to(self):
        if not REQUIRE_UNPRIVILEGED:
            self.skipTest("run as whoever runs the tests")
        self.assertNotEqual(os.geteuid(), 0, "the unprivileged pass runs as root")
        self.assertEqual(effective_capabilities(), 0, "the unprivileged pass has capabilities")

    def test_serve_writes_only_json_with_json_logs(self):
        # The hub of this class runs with --log-format json; what it wrote so far, on both streams.
        self.hub.log.flush()
        with open(os.path.join(self.root, "hub.log")) as log:
            lines = [line for line in log.read().splitlines() if line.strip()]
        self.assertTrue(lines, "the hub logged nothing")
        for line in lines + self.hub.stdout_lines:
            json.loads(line)  # raises on a line that is not JSON
        self.assertTrue(any("listening on wss://" in json.loads(line)["message"] for line in self.hub.stdout_lines))
        # A configuration the hub refuses is reported in JSON too, on standard error.
        refused = subprocess.run([BINARY, "serve", "--data-dir", os.path.join(self.root, "never"), "--log-format", "json",
                                  "--max-rooms", "0"], capture_output=True, text=True, timeout=60)
        self.assertEqual(refused.returncode, 1)
        self.assertEqual(refused.stdout, "")
        problem = json.loads(refused.stderr.strip())
        self.assertIn("limits.max-rooms", problem["message"])
        # And so is a command line it cannot parse.
        unparsed = subprocess.run([BINARY, "serve", "--log-format", "json", "--no-such-flag"], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(unparsed.returncode, 0)
        self.assertIn("--no-such-flag", json.loads(unparsed.stderr.strip())["message"])

    def test_the_line_client_posts_and_reads_history(self):
        replies = self.client(self.hub.port, self.hub.data,
                              {"id": "j", "type": "join", "room": "lobby"},
                              {"id": "p", "type": "post", "room": "lobby", "text": "今日联席会议材料已上传", "key": "line-1"},
                              {"id": "h", "type": "history", "room": "lobby", "limit": 20},
                              token_file=self.token_file)
        self.assertEqual(replies["p"]["type"], "ok", replies)
        texts = [event.get("text") for event in replies["h"]["result"]["events"]]
        self.assertIn("今日联席会议材料已上传", texts)

    def test_python_websockets_client(self):
        context = ssl.create_default_context(cafile=self.hub.ca)
        credentials = os.path.join(self.hub.data, "credentials", "admin")
        context.load_cert_chain(os.path.join(credentials, "cert.pem"), os.path.join(credentials, "key.pem"))
        with ws_connect(f"wss://127.0.0.1:{self.hub.port}/v1/ws", ssl=context, subprotocols=["conferencehub.v1"]) as socket:
            socket.send(json.dumps({"id": "1", "type": "hello"}))
            hello = json.loads(socket.recv())
        self.assertEqual(hello["type"], "ok", hello)
        self.assertEqual(hello["result"]["identity"]["person"], "admin")

    def test_a_password_sign_in_and_a_message_in_the_console(self):
        case = self.hub.ask(self.token, {
            "type": "case.register", "title": "城东片区征收补偿", "summary": "补偿款未按期发放", "category": "claim",
            "channel": "visit", "received_on": "2026-12-01", "involved_units": ["housing"],
            "petitioner": {"name": "张三", "contact": "138-0000-0000"}})[0]["case"]
        browser = Browser(self.hub, "officer")
        try:
            browser.sign_in("h-officer")
            browser.go_to_case(case)
            browser.post("已联系信访人，约定周三上门")
            browser.until(lambda driver: any("已联系信访人，约定周三上门" in text for _, _, text in browser.timeline()),
                          "the message in the case's timeline")
        except Exception:
            browser.save_artifacts("unprivileged-console")
            raise
        finally:
            browser.quit()

    def test_a_first_look_at_the_demonstration_conference(self):
        # `serve --demo` on a new directory, as a newcomer runs `scripts/serve --demo`; a person of
        # it signs in with the one-time password the hub wrote (0600: JSON logs) and opens a case.
        demo = Hub(os.path.join(self.root, "demo"), data=os.path.join(self.root, "demo", "data"))
        demo.serve_arguments = ["--demo"]
        demo.start()
        browser = None
        try:
            path = os.path.join(demo.data, "demo-sign-ins.txt")
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
            with open(path) as handle:
                password = next(line.split()[1] for line in handle if line.startswith("  xuming "))
            browser = Browser(demo, "demo")
            browser.open("/")
            self.assertEqual(browser.submit_sign_in("xuming", password), "这是一次性初始密码，请设置新密码后登录。")
            self.assertEqual(browser.submit_sign_in(None, password, "徐明的新密码2026年"), "")
            browser.go_to_case("case-1")
            browser.wait_text("case-state", "约谈施工单位")
        except Exception:
            if browser:
                browser.save_artifacts("unprivileged-demo")
            raise
        finally:
            if browser:
                browser.quit()
            demo.stop()

    def test_admin_backup_and_restore_then_the_restored_hub_serves_it(self):
        self.client(self.hub.port, self.hub.data,
                    {"id": "j", "type": "join", "room": "lobby"},
                    {"id": "p", "type": "post", "room": "lobby", "text": "备份前的最后一条", "key": "before-backup"})
        backup = os.path.join(self.root, "backup")
        run(BINARY, "admin", "backup", "--data-dir", self.hub.data, "--to", backup)
        restored = os.path.join(self.root, "restored")
        run(BINARY, "admin", "restore", "--from", backup, "--data-dir", restored)
        self.assertIn("case chains: intact", run(BINARY, "verify", "--data-dir", restored))
        for key in ["tls/ca-key.pem", "credentials/admin/key.pem", "hub.sqlite"]:
            self.assertEqual(os.stat(os.path.join(restored, key)).st_mode & 0o777, 0o600, key)
        second = Hub(os.path.join(self.root, "second"), data=restored)
        second.start()
        try:
            replies = self.client(second.port, restored,
                                  {"id": "j", "type": "join", "room": "lobby"},
                                  {"id": "p", "type": "post", "room": "lobby", "text": "恢复后的第一条", "key": "after-restore"},
                                  {"id": "h", "type": "history", "room": "lobby", "limit": 50})
            history = replies["h"]["result"]
            by_text = {event.get("text"): event for event in history["events"]}
            self.assertIn("备份前的最后一条", by_text)
            # Each event says which epoch it belongs to: those from before the restore keep theirs,
            # what came after is in the room's new epoch, which the reply names.
            self.assertNotEqual(by_text["备份前的最后一条"]["epoch"], history["epoch"])
            self.assertEqual(by_text["恢复后的第一条"]["epoch"], history["epoch"])
        finally:
            second.stop()

    def test_a_file_error_is_said_in_plain_words(self):
        if os.geteuid() == 0:
            self.skipTest("root may write anywhere")
        target = "/var/lib/conference-hub-test-not-mine"
        done = subprocess.run([BINARY, "init", "--data-dir", target], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn(target, done.stderr)
        self.assertIn("permission denied", done.stderr.lower())
        self.assertNotIn("NSCocoaErrorDomain", done.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
