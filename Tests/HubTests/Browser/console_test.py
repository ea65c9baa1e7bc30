"""The console in a real browser: Debian's Chromium driven by Selenium, against the real
conference-hub binary on loopback, set up as an operator would (init, admin). The conference CA is
trusted through an NSS database made for each browser; nothing turns certificate checks off.

Run by ConsoleBrowserTests (swift test) with CONFERENCEHUB_BINARY set; on failure each test saves a
screenshot and the browser console log of every open browser in CONFERENCEHUB_BROWSER_ARTIFACTS.
With CONFERENCEHUB_SCREENSHOTS=DIR it also saves the screenshots docs/console.md shows.
"""
import datetime
import http.server
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request
import zoneinfo

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from axe_selenium_python import Axe
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait
from websockets.sync.client import connect as ws_connect


def registration_number(case):
    """The registration number (登记编号) the hub gives `case` ("case-12"): the test hubs keep the
    default pattern, and their cases are all registered this year in the conference's time zone."""
    year = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai")).year
    return f"〔{year}〕第{int(case.split('-')[1]):04d}号"

BINARY = os.environ["CONFERENCEHUB_BINARY"]
ARTIFACTS = os.environ.get("CONFERENCEHUB_BROWSER_ARTIFACTS") or tempfile.mkdtemp(prefix="console-artifacts-")
SCREENSHOTS = os.environ.get("CONFERENCEHUB_SCREENSHOTS")
HOSTILE_UNIT = "住建局<img src=x onerror=window.__xss=1>"
HOSTILE_TITLE = "安置补偿</script><img src=x onerror=window.__xss=3>"
HOSTILE_MESSAGE = "现场已踏勘<img src=x onerror=window.__xss=4></script><script>window.__xss=5</script>"
CONFERENCE = "某某市信访工作联席会议"
PASSWORDS = {"coord": "联席办协调2026冬", "h-officer": "住建局经办2026冬", "f-officer": "财政局经办2026冬", "h-leader": "住建局领导2026冬"}
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")


def day(offset):
    """The date `offset` days from today in the conference's time zone, as YYYY-MM-DD."""
    return (datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai")).date() + datetime.timedelta(days=offset)).isoformat()


def run(*arguments):
    done = subprocess.run(arguments, capture_output=True, text=True)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(arguments)} failed: {done.stdout} {done.stderr}")
    return done.stdout


class Hub:
    """A conference-hub process on a data directory; restarts keep its port."""

    def __init__(self, root, data=None, init=()):
        """A new data directory in `root` (made by `init` with the arguments `init`), or the existing one `data` (a restored backup)."""
        self.root = root
        self.data = data or os.path.join(root, "data")
        self.port = 0
        self.process = None
        self.stdout_lines = []
        self.serve_arguments = []
        os.makedirs(root, exist_ok=True)
        self.log = open(os.path.join(root, "hub.log"), "a")
        if data is None:
            run(BINARY, "init", "--data-dir", self.data, *init)
        self.ca = os.path.join(self.data, "tls", "ca.pem")
        # A data directory `serve` makes on its first start (`--demo`) has its CA once started.
        self.context = ssl.create_default_context(cafile=self.ca) if os.path.exists(self.ca) else None

    def admin(self, *arguments):
        return run(BINARY, "admin", arguments[0], arguments[1], "--data-dir", self.data, *arguments[2:])

    def start(self):
        self.process = subprocess.Popen(
            [BINARY, "serve", "--data-dir", self.data, "--port", str(self.port), "--internal-port", "0",
             "--internal-port-file", os.path.join(self.root, "internal-port"), "--drain-seconds", "0", "--log-format", "json",
             *self.serve_arguments],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        for line in self.process.stdout:
            self.stdout_lines.append(line)
            found = re.search(r"listening on wss://[^:]+:(\d+)/", line)
            if found:
                self.port = int(found.group(1))
                self.context = self.context or ssl.create_default_context(cafile=self.ca)
                return
        raise AssertionError("the hub did not start; see hub.log")

    def metric(self, name):
        """A metric's value from the internal listener's /metrics (the hub's own figures)."""
        with open(os.path.join(self.root, "internal-port")) as handle:
            port = int(handle.read())
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as response:
            for line in response.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
        raise AssertionError(f"no metric {name}")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)

    @property
    def origin(self):
        return f"https://localhost:{self.port}"

    def sign_in(self, body):
        request = urllib.request.Request(f"{self.origin}/v1/session", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, context=self.context) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            return json.load(error)

    def ask(self, token, *requests):
        """Sends `requests` on one authenticated socket; returns their results."""
        with ws_connect(f"wss://localhost:{self.port}/v1/ws", ssl=self.context, subprotocols=["conferencehub.v1"]) as socket:
            socket.send(json.dumps({"id": "auth", "type": "auth", "token": token}))
            assert json.loads(socket.recv())["type"] == "ok"
            results = []
            for index, request in enumerate(requests):
                socket.send(json.dumps({"id": f"q{index}", **request}))
                while True:
                    reply = json.loads(socket.recv())
                    if reply.get("id") == f"q{index}":
                        break
                assert reply["type"] == "ok", reply
                results.append(reply["result"])
            return results


class Browser:
    """One person's Chromium: its own profile and its own NSS database trusting the conference CA."""

    def __init__(self, hub, name, certificate=None):
        self.name = name
        directory = tempfile.mkdtemp(prefix=f"browser-{name}-", dir=hub.root)
        home = os.path.join(directory, "home")
        nss = os.path.join(home, ".pki", "nssdb")
        os.makedirs(nss)
        run("certutil", "-d", "sql:" + nss, "-N", "--empty-password")
        run("certutil", "-d", "sql:" + nss, "-A", "-t", "C,,", "-n", "conference CA", "-i", hub.ca)
        if certificate:
            run("pk12util", "-d", "sql:" + nss, "-i", certificate, "-W", "")
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--user-data-dir={directory}/profile",
                         "--window-size=1280,900", "--no-first-run", "--disable-background-networking"]:
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        service = Service(executable_path="/usr/bin/chromedriver", env={**os.environ, "HOME": home})
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.set_page_load_timeout(30)  # a page that never loads (a certificate picker) fails, not hangs
        self.hub = hub

    def open(self, path="/"):
        self.driver.get(self.hub.origin + path)

    def until(self, condition, what, timeout=20, detail=None):
        """Waits for `condition`; on a timeout, fails saying what it waited for (and `detail()`, what it saw)."""
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(lambda driver: condition(driver))
        except TimeoutException:
            raise AssertionError(f"{self.name}: timed out waiting for {what}" + (f"; saw {detail()}" if detail else ""))

    def element(self, element_id):
        return self.until(lambda driver: driver.find_elements(By.ID, element_id) and driver.find_element(By.ID, element_id),
                          f"#{element_id}")

    def text_of(self, element_id):
        """The element's text, read in one step (the page may redraw it at any time)."""
        return self.driver.execute_script("const e = document.getElementById(arguments[0]); return e ? e.innerText : null", element_id)

    def wait_text(self, element_id, expected):
        self.until(lambda driver: expected in (self.text_of(element_id) or ""), f"#{element_id} to show {expected!r}")

    def submit_sign_in(self, person, password, new_password=None):
        """Fills and sends the sign-in form; returns the message shown (empty when signed in)."""
        if person is not None:
            field = self.element("signin-person")
            field.clear()
            field.send_keys(person)
        field = self.element("signin-password")
        field.clear()
        field.send_keys(password)
        if new_password:
            for element_id in ["signin-new-password", "signin-confirm"]:
                field = self.element(element_id)
                field.clear()
                field.send_keys(new_password)
        self.element("signin-submit").click()
        answer = """const form = document.getElementById('signin-form');
                    return form ? document.getElementById('signin-error').textContent : 'signed in'"""
        self.until(lambda driver: driver.execute_script(answer), "an answer to the sign-in")
        message = self.driver.execute_script(answer)
        return "" if message == "signed in" else message

    def sign_in(self, person):
        self.open("/")
        self.assertion_free(self.submit_sign_in(person, PASSWORDS[person]) == "", f"{person} could not sign in")
        self.wait_text("connection", "已连接")

    @staticmethod
    def assertion_free(condition, message):
        if not condition:
            raise AssertionError(message)

    def open_case(self, case):
        """Finds the case in the case list by its number (the hub searches every case) and opens it."""
        self.element("nav-cases").click()
        search = self.until(lambda driver: driver.find_elements(By.ID, "filter-search"), "the case list")[0]
        search.clear()
        search.send_keys(case + Keys.ENTER)
        link = self.until(lambda driver: [a for a in driver.find_elements(By.CSS_SELECTOR, "a.case-link") if a.get_attribute("data-case") == case],
                          f"{case} in the list")
        self.assertion_free(link[0].text == registration_number(case), f"{case} is listed as {link[0].text}, not by its registration number")
        link[0].click()
        self.until(lambda driver: driver.execute_script("return document.querySelectorAll('#timeline li').length") > 0, "the timeline")

    def post(self, text):
        box = self.element("message-box")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)

    def go_to_case(self, case):
        """Opens the case page by its address (as a link from 我的待办 does)."""
        self.driver.execute_script("location.hash = arguments[0]", "#/case/" + case)
        self.until(lambda driver: (self.text_of("case-title") or "").startswith(registration_number(case)) and self.text_of("case-status"), f"the page of {case}")

    def act(self, action, **fields):
        """Does what a person does for an action: its button, its form filled in, submitted.
        Returns the refusal shown, or "" once the form is gone (the hub accepted the change)."""
        self.until(lambda driver: driver.find_elements(By.ID, action), f"the action {action}")
        self.driver.find_element(By.ID, action).click()
        return self.fill_and_submit(**fields)

    def fill_and_submit(self, **fields):
        """Fills in the form shown and submits it; returns the refusal shown, or "" once the form
        is gone (the hub accepted it)."""
        form = self.element("form-submit")
        for name, value in fields.items():
            element = self.element("f-" + name)
            if element.tag_name == "select":
                Select(element).select_by_value(value)
            elif element.tag_name == "div":  # a list of units
                for unit in value:
                    element.find_element(By.CSS_SELECTOR, f"input[value='{unit}']").click()
            elif element.get_attribute("type") == "date":
                self.driver.execute_script("arguments[0].value = arguments[1]", element, value)
            else:
                element.clear()
                element.send_keys(value)
        form.click()
        outcome = """const error = document.getElementById('form-error');
                     return !document.getElementById('form-submit') ? 'done' : (error && error.textContent) || null"""
        self.until(lambda driver: driver.execute_script(outcome), "an answer to the form")
        result = self.driver.execute_script(outcome)
        return "" if result == "done" else result

    def actions(self):
        return self.driver.execute_script("return [...document.querySelectorAll('#actions button')].map(b => b.id)")

    def sent_frames(self):
        """The request types this browser sent over its WebSocket since the last call (from
        Chromium's own network log, not the page's word)."""
        types = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.webSocketFrameSent":
                try:
                    types.append(json.loads(message["params"]["response"]["payloadData"]).get("type"))
                except (ValueError, AttributeError):
                    types.append(None)
        return types

    def case_events(self):
        return self.driver.execute_script("return document.querySelectorAll('#timeline li.case-event').length")

    def listed_with(self, relation):
        """The case numbers the case list shows with 本单位… set to `relation` (once the list has drawn)."""
        self.element("nav-cases").click()
        self.until(lambda driver: self.text_of("cases-note"), "the case list")
        Select(self.element("filter-relation")).select_by_value(relation)
        self.until(lambda driver: driver.execute_script(
            "return document.getElementById('filter-relation').value === arguments[0]"
            " && document.getElementById('case-rows').getAttribute('aria-busy') === 'false'", relation), f"the list for {relation}")
        return self.driver.execute_script("return [...document.querySelectorAll('a.case-link')].map(a => a.dataset.case)")

    def work(self, case):
        """The kinds of this person's 我的待办 items for `case`, read from the page."""
        return self.driver.execute_script(
            "return [...document.querySelectorAll('#inbox-items li')].filter(li => li.dataset.case === arguments[0]).map(li => li.dataset.kind)", case)

    def timeline(self):
        return self.driver.execute_script(
            "return [...document.querySelectorAll('#timeline li')].map(li => [Number(li.dataset.seq), li.className, li.textContent])")

    def words(self):
        """Every word the page shows that is not data (titles, names, messages are marked .ud)."""
        return self.driver.execute_script("""
            const clone = document.body.cloneNode(true);
            clone.querySelectorAll('.ud').forEach(element => element.remove());
            const texts = [clone.textContent, document.title.replace(arguments[0], '')];  // the conference's name is data
            document.querySelectorAll('[placeholder]').forEach(element => texts.push(element.placeholder));
            return texts.join('\\n');""", CONFERENCE)

    def screenshot(self, name):
        if SCREENSHOTS:
            os.makedirs(SCREENSHOTS, exist_ok=True)
            self.driver.save_screenshot(os.path.join(SCREENSHOTS, name + ".png"))

    def save_artifacts(self, test):
        os.makedirs(ARTIFACTS, exist_ok=True)
        base = os.path.join(ARTIFACTS, f"{test}-{self.name}")
        try:
            self.driver.save_screenshot(base + ".png")
            with open(base + "-console.log", "w") as log:
                for entry in self.driver.get_log("browser"):
                    log.write(json.dumps(entry, ensure_ascii=False) + "\n")
        except Exception as error:  # the browser may be gone
            print(f"could not save the artifacts of {self.name}: {error}", file=sys.stderr)

    def quit(self):
        self.driver.quit()


class ConsoleTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="console-test-")
        # A deployment's own names, as `init` takes them.
        hub = cls.hub = Hub(cls.root, init=("--conference", CONFERENCE, "--office", "市联席会议办公室"))
        hub.admin("unit", "add", "--id", "district", "--name", "区政府", "--kind", "government")
        hub.admin("unit", "add", "--id", "housing", "--name", HOSTILE_UNIT, "--parent", "district")
        hub.admin("unit", "add", "--id", "finance", "--name", "财政局</script>", "--parent", "district")
        for person, name, unit, role in [("coord", "赵联", "conference-office", "coordinator"), ("h-officer", "王芳", "housing", "officer"),
                                         ("h-leader", "周敏", "housing", "leader"),
                                         ("f-officer", "李明", "finance", "officer"), ("p-first", "陈新", "housing", "officer"),
                                         ("p-throttle", "孙试", "finance", "officer")]:
            hub.admin("person", "add", "--id", person, "--name", name, "--unit", unit, "--role", role)
        cls.one_time = {}
        for person in ["coord", "h-officer", "f-officer", "h-leader", "p-first", "p-throttle"]:
            cls.one_time[person] = hub.admin("person", "password", person).strip().splitlines()[-1]
        cls.tokens = {person: hub.admin("credential", "issue", "--person", person, "--token").strip().splitlines()[-1]
                      for person in ["coord", "h-officer", "f-officer"]}
        cls.coord_token = cls.tokens["coord"]
        # This conference allows at most 25 days of extension (the legal default is 30): the
        # console's forms take the limit from the hub's schema.
        limits = os.path.join(cls.root, "time-limits.json")
        with open(limits, "w") as handle:
            json.dump({"max_extension_days": 25}, handle)
        hub.serve_arguments = ["--time-limits", limits]
        hub.start()
        for person, password in PASSWORDS.items():
            answer = hub.sign_in({"person": person, "password": cls.one_time[person], "new_password": password})
            assert "session" in answer, answer

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()
        shutil.rmtree(cls.root, ignore_errors=True)

    def setUp(self):
        self.browsers = []

    def browser(self, name, certificate=None):
        browser = Browser(self.hub, name, certificate)
        self.browsers.append(browser)
        return browser

    def tearDown(self):
        outcome = self._outcome
        failed = any(error for _, error in getattr(outcome, "errors", [])) or not getattr(outcome, "success", True)
        for browser in self.browsers:
            if failed:
                browser.save_artifacts(self._testMethodName)
            browser.quit()
        if failed:
            print(f"screenshots and console logs: {ARTIFACTS}", file=sys.stderr)

    def register_case(self, title):
        result = self.hub.ask(self.coord_token, {
            "type": "case.register", "title": title, "summary": "房屋征收补偿未到位", "category": "claim", "channel": "visit",
            "received_on": "2026-12-01", "involved_units": ["housing", "finance"],
            "petitioner": {"name": "张三", "contact": "138-0000-0000"}})[0]
        return result["case"]

    def register_many(self, titles):
        """Registers a case per title on one socket, waiting as the hub's rate limit asks; returns their numbers."""
        cases = []
        with ws_connect(f"wss://localhost:{self.hub.port}/v1/ws", ssl=self.hub.context, subprotocols=["conferencehub.v1"]) as socket:
            socket.send(json.dumps({"id": "auth", "type": "auth", "token": self.coord_token}))
            assert json.loads(socket.recv())["type"] == "ok"
            for index, title in enumerate(titles):
                while True:
                    socket.send(json.dumps({
                        "id": f"r{index}", "type": "case.register", "title": title, "summary": "楼道照明损坏，夜间出行不便",
                        "category": "suggestion", "channel": "online", "received_on": "2026-12-01", "involved_units": ["housing"],
                        "petitioner": {"name": "李四", "contact": "139-0000-0000"}}))
                    reply = json.loads(socket.recv())
                    if reply["type"] != "error" or reply["error"]["code"] != "rate_limited":
                        break
                    time.sleep(reply["error"]["retry_after_ms"] / 1000)
                assert reply["type"] == "ok", reply
                cases.append(reply["result"]["case"])
        return cases

    def test_the_case_list_pages_through_every_case_and_the_hub_filters_them_all(self):
        cases = self.register_many([f"楼道照明损坏 {index + 1}号楼" for index in range(105)])
        browser = self.browser("case-list")
        browser.sign_in("coord")
        browser.element("nav-cases").click()

        def settled(driver):
            return driver.execute_script("return document.getElementById('case-rows').getAttribute('aria-busy') === 'false'")

        def rows(driver):
            return driver.execute_script("return [...document.querySelectorAll('a.case-link')].map(a => a.dataset.case)")

        browser.until(lambda driver: settled(driver) and len(rows(driver)) == 100, "the first page of 100")
        self.assertTrue(browser.element("cases-more").is_displayed(), "more follow")
        self.assertRegex(browser.text_of("cases-note"), r"^已显示100件，还有更多$")
        # Every case, page by page.
        while browser.element("cases-more").is_displayed():
            shown = len(rows(browser.driver))
            browser.element("cases-more").click()
            browser.until(lambda driver: settled(driver) and len(rows(driver)) > shown, "the next page")
        every = rows(browser.driver)
        self.assertEqual(len(every), len(set(every)), "no case twice")
        self.assertTrue(set(cases) <= set(every), "every case registered is listed")
        self.assertRegex(browser.text_of("cases-note"), rf"^共{len(every)}件$")
        # The search is done by the hub over all cases: 105 match, two pages again.
        browser.element("filter-search").send_keys("照明损坏" + Keys.ENTER)
        browser.until(lambda driver: settled(driver) and len(rows(driver)) == 100 and rows(driver)[0] == cases[0], "the search's first page")
        browser.element("cases-more").click()
        browser.until(lambda driver: settled(driver) and len(rows(driver)) == 105, "the search's second page")
        self.assertEqual(rows(browser.driver), cases)
        self.assertFalse(browser.element("cases-more").is_displayed())
        # By registration number: exactly that case.
        search = browser.element("filter-search")
        search.clear()
        search.send_keys(registration_number(cases[41]) + Keys.ENTER)
        browser.until(lambda driver: settled(driver) and rows(driver) == [cases[41]], "the case by its registration number")
        self.assertEqual(browser.driver.execute_script("return document.querySelector('a.case-link').textContent"), registration_number(cases[41]))
        # And by its id, as the protocol names it.
        search.clear()
        search.send_keys(cases[42] + Keys.ENTER)
        browser.until(lambda driver: settled(driver) and rows(driver) == [cases[42]], "the case by its id")
        # Listed supervision, with the search: none of these is listed.
        browser.element("filter-listed").click()
        browser.until(lambda driver: settled(driver) and rows(driver) == [], "no listed case")
        self.assertEqual(browser.text_of("cases-note"), "没有符合条件的案件。")

    def test_password_sign_in_first_change_wrong_password_and_throttling(self):
        browser = self.browser("first")
        browser.open("/")
        self.assertEqual(browser.driver.title, "信访工作联席会议协同平台")
        self.assertEqual(browser.submit_sign_in("p-first", "not the password"), "人员编号或密码错误。")
        self.assertEqual(browser.submit_sign_in("p-first", self.one_time["p-first"]), "这是一次性初始密码，请设置新密码后登录。")
        self.assertTrue(browser.element("signin-new-password").is_displayed())
        # A refused new password says which rule it broke.
        self.assertEqual(browser.submit_sign_in(None, self.one_time["p-first"], "short"), "新密码太短：至少需要10个字符。")
        self.assertEqual(browser.submit_sign_in(None, self.one_time["p-first"], "aaaaabbbbbaaaaa"), "新密码至少需要4种不同的字符。")
        self.assertEqual(browser.submit_sign_in(None, self.one_time["p-first"], "陈新的新密码2026年"), "")
        browser.wait_text("connection", "已连接")
        self.assertIn("陈新", browser.text_of("who"))
        # The deployment's own names: the conference in the header and the tab, its office in Chinese.
        browser.wait_text("conference", CONFERENCE)
        self.assertEqual(browser.driver.title, f"{CONFERENCE} · 信访工作联席会议协同平台")

        browser.open("/")
        for attempt in range(5):
            self.assertEqual(browser.submit_sign_in("p-throttle", f"guess {attempt}"), "人员编号或密码错误。")
        # After 5 failures the 6th waits, even with the right password.
        message = browser.submit_sign_in("p-throttle", self.one_time["p-throttle"])
        self.assertRegex(message, r"^登录失败次数过多，请\d+秒后再试。$")

    def certificate_browser(self, name):
        """A browser holding h-officer's client certificate, sent without asking (the policy
        AutoSelectCertificateForUrls: headless Chromium cannot answer the picker)."""
        if os.geteuid() != 0:
            self.skipTest("the certificate policy is written under /etc/chromium (root only)")
        directory = os.path.join(self.root, f"cert-{name}")
        self.hub.admin("credential", "issue", "--person", "h-officer", "--cert", directory)
        p12 = os.path.join(directory, "h-officer.p12")
        run("openssl", "pkcs12", "-export", "-in", os.path.join(directory, "cert.pem"), "-inkey", os.path.join(directory, "key.pem"),
            "-out", p12, "-passout", "pass:", "-name", "h-officer")
        policies = "/etc/chromium/policies/managed"
        os.makedirs(policies, exist_ok=True)
        policy = os.path.join(policies, "conferencehub-test.json")
        with open(policy, "w") as handle:
            json.dump({"AutoSelectCertificateForUrls": [json.dumps({"pattern": self.hub.origin, "filter": {}})]}, handle)
        # Chromium reads the policy some time after it starts: it stays until the test ends.
        self.addCleanup(os.remove, policy)
        return self.browser(name, certificate=p12)

    def test_a_certificate_signs_in_in_one_step(self):
        browser = self.certificate_browser("certificate")
        browser.open("/")
        browser.element("signin-certificate").click()
        browser.wait_text("connection", "已连接")
        self.assertIn("王芳", browser.text_of("who"))

    def test_a_password_sign_in_acts_as_its_person_in_a_browser_holding_another_persons_certificate(self):
        # A government PC's certificate store holds h-officer's certificate; f-officer signs in.
        case = self.register_case("证书与密码身份核对")
        browser = self.certificate_browser("colleague")
        browser.sign_in("f-officer")
        self.assertIn("李明", browser.text_of("who"))
        browser.go_to_case(case)
        browser.post("财政局经办人已核对补偿资金")
        browser.until(lambda driver: any("财政局经办人已核对补偿资金" in text and "李明" in text for _, _, text in browser.timeline()),
                      "the message shown as 李明's")
        history = self.hub.ask(self.coord_token, {"type": "history", "room": case, "limit": 50})[0]
        posted = [event for event in history["events"] if event.get("text") == "财政局经办人已核对补偿资金"]
        self.assertEqual([event["from"]["person"] for event in posted], ["f-officer"], "stored as the person who signed in")

    def test_my_work_lists_what_waits_on_me_and_follows_the_case_live(self):
        case = self.register_case("待办检查案件")
        browser = self.browser("inbox")
        browser.sign_in("h-officer")
        item = f"#inbox-items li[data-case='{case}']"
        browser.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, item + "[data-kind='answer_negotiation']"),
                      "the negotiation answer owed")
        self.assertRegex(browser.text_of("inbox-count"), r"^（\d+）$")
        # The units answer elsewhere (another client): housing leads. Without a reload, the page
        # now shows the notice of acceptance owed instead of the answer.
        self.hub.ask(self.tokens["h-officer"], {"type": "negotiation.answer", "case": case, "answer": "claim"})
        self.hub.ask(self.tokens["f-officer"], {"type": "negotiation.answer", "case": case, "answer": "cohandle"})
        browser.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, item + "[data-kind='send_acceptance_notice']"),
                      "the notice of acceptance owed")
        self.assertEqual(browser.driver.find_elements(By.CSS_SELECTOR, item + "[data-kind='answer_negotiation']"), [])

    def test_a_coordinator_registers_a_two_unit_case_the_units_dispute_the_lead_and_the_coordinator_decides(self):
        coordinator, housing, finance = self.browser("coordinator"), self.browser("housing"), self.browser("finance")
        coordinator.sign_in("coord")
        coordinator.element("nav-register").click()
        coordinator.element("register-form")
        # The form checks what the hub checks before sending.
        self.assertEqual(coordinator.fill_and_submit(title="拆迁补偿纠纷", petitioner_name="张三"), "请填写“涉及单位”。")
        refused = coordinator.fill_and_submit(involved_units=["housing", "finance"], received_on="2099-01-01")
        self.assertRegex(refused, r"^“收到日期”不能晚于\d{4}年\d{1,2}月\d{1,2}日。$")  # today, the latest allowed
        self.assertEqual(coordinator.fill_and_submit(received_on=day(-3), petitioner_contact="138-0000-0000",
                                                     summary="征收补偿款至今未到位"), "")
        coordinator.until(lambda driver: re.match(r"^#/case/case-\d+$", driver.execute_script("return location.hash")), "the new case's page")
        case = coordinator.driver.execute_script("return location.hash").split("/")[-1]
        coordinator.wait_text("case-status", "协商受理中")
        coordinator.wait_text("case-petitioner", "张三")
        for browser, person in ((housing, "h-officer"), (finance, "f-officer")):
            browser.sign_in(person)
            browser.go_to_case(case)
            self.assertEqual(browser.actions(), ["action-negotiation_answered"], "a negotiating unit may only answer")
        self.assertNotIn("action-negotiation_answered", coordinator.actions())
        # One wording for one deadline: the negotiation's time left, in working days, reads the
        # same on the case page and in 我的待办.
        left = housing.driver.execute_script(
            "return document.querySelector('#case-deadlines li[data-kind=negotiation]').textContent.split(' · ')[1]")
        self.assertRegex(left, r"^还剩\d+个工作日$")
        housing.element("nav-inbox").click()
        housing.until(lambda driver: "answer_negotiation" in housing.work(case), "the negotiation in my work")
        self.assertIn(left, housing.driver.execute_script(
            "return [...document.querySelectorAll('#inbox-items li')].find(li => li.dataset.case === arguments[0]).textContent", case))
        housing.go_to_case(case)

        self.assertEqual(housing.act("action-negotiation_answered", position="claim"), "")
        for browser in (coordinator, housing, finance):
            browser.until(lambda driver, b=browser: "认领主办" in (b.text_of("case-negotiation") or ""), f"{browser.name}: housing's claim, live")
        # A claim without a reason reads as one: no "理由：" with nothing after it.
        housing.until(lambda driver: any(text.endswith("认领主办") for _, _, text in housing.timeline()), "the claim's sentence, without a reason")
        # A decline needs its reason and basis, as in the hub.
        self.assertEqual(finance.act("action-negotiation_answered", position="decline"), "请填写“理由”。")
        self.assertEqual(finance.fill_and_submit(position="claim"), "")
        for browser in (coordinator, housing, finance):
            browser.wait_text("case-status", "协商有争议")
        # The dispute says why and who decides (a leader of the district, above housing and finance).
        housing.until(lambda driver: any("协商未能一致（多个单位均要求主办），由区政府领导决定主办单位" in text for _, _, text in housing.timeline()),
                      "the dispute's reason and who decides", detail=lambda: [text for _, _, text in housing.timeline()])
        self.assertEqual(housing.actions(), [], "the dispute is not the units' to decide")

        self.assertEqual(coordinator.act("action-lead_decided", lead="housing", co_handling=["finance"], rationale="住建局签订了安置协议"), "")
        for browser in (coordinator, housing, finance):
            browser.wait_text("case-status", "已交办")
            browser.until(lambda driver, b=browser: any("决定由" in text and "住建局签订了安置协议" in text for _, _, text in b.timeline()),
                          f"{browser.name}: the decision in the timeline")
        self.assertIn(HOSTILE_UNIT, housing.text_of("case-lead"))
        self.assertIn("action-accepted", housing.actions())
        self.assertEqual(finance.actions(), [])
        # The case list's 本单位… filter, every relation from the schema's options: finance co-handles, housing leads.
        finance.until(lambda driver: case in finance.listed_with("co_handling"), "the case under 本单位协办 for finance")
        self.assertNotIn(case, finance.listed_with("lead"))
        housing.until(lambda driver: case in housing.listed_with("lead"), "the case under 本单位主办 for housing")
        self.assertNotIn(case, housing.listed_with("co_handling"))
        self.assertIn(case, coordinator.listed_with("involved"))

    def test_no_page_has_a_critical_or_serious_accessibility_violation_in_either_language(self):
        # axe-core (from axe-selenium-python) on every page and on an open form, in both languages.
        case = self.register_case("拆迁补偿款迟迟未到位")
        browser = self.browser("axe")
        found = {}

        def check(page):
            axe = Axe(browser.driver)
            axe.inject()
            violations = [f"{v['id']} ({v['impact']}): {v['help']} at {[node['target'] for node in v['nodes']][:3]}"
                          for v in axe.run()["violations"] if v["impact"] in ("critical", "serious")]
            if violations:
                found[page] = violations

        browser.open("/")
        browser.until(lambda driver: driver.find_elements(By.ID, "signin-form"), "the sign-in form")
        check("sign-in")
        browser.sign_in("coord")
        for language in ("zh-CN", "en"):
            if browser.driver.execute_script("return document.documentElement.lang") != language:
                browser.element("language").click()
                browser.until(lambda driver: driver.execute_script("return document.documentElement.lang") == language, language)
            browser.element("nav-inbox").click()
            browser.until(lambda driver: browser.text_of("inbox-note"), "my work")
            check(f"{language} my work")
            browser.element("nav-cases").click()
            browser.until(lambda driver: driver.execute_script("return document.querySelectorAll('#case-list tbody tr').length") > 0, "the list")
            check(f"{language} cases")
            browser.element("nav-register").click()
            browser.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "form"), "the registration form")
            check(f"{language} registration form")
            browser.element("nav-supervision").click()
            browser.until(lambda driver: driver.execute_script(
                "return ['dashboard-figures', 'dashboard-lists'].every(id => document.getElementById(id)?.getAttribute('aria-busy') === 'false')"),
                "the dashboard")
            check(f"{language} supervision")
            browser.element("nav-record").click()
            browser.until(lambda driver: driver.execute_script(
                "return document.getElementById('record-entries')?.getAttribute('aria-busy') === 'false'"), "the decision record")
            check(f"{language} decision record")
            browser.go_to_case(case)
            check(f"{language} a case")
            action = browser.actions()[0]
            browser.element(action).click()
            browser.until(lambda driver: driver.find_elements(By.ID, "form-submit"), "the action's form")
            check(f"{language} a case with the form of {action}")
        self.assertEqual(found, {})

    def test_the_dashboard_shows_the_figures_the_hub_gives(self):
        # A case carried to its answer, so that the figures have something to count.
        case = self.register_case("供暖费退费迟迟未办理")
        self.hub.ask(self.coord_token, {"type": "case.change", "case": case, "change": {"type": "assigned", "assignment": {
            "lead": "housing", "co_handling": [], "rationale": "供暖收费由住建部门主管"}}})
        officer = self.tokens["h-officer"]
        for change in [{"type": "accepted"}, {"type": "handling_started"}, {"type": "answered", "answer": {
                "request": "退还多收的供暖费", "facts_and_reasons": "经核实，供热公司多收费用属实，已责令退还。", "decision": "support",
                "legal_basis": "《城市供热价格管理暂行办法》第十五条"}}]:
            self.hub.ask(officer, {"type": "case.change", "case": case, "change": change})
        browser = self.browser("dashboard")
        browser.sign_in("coord")
        browser.element("nav-supervision").click()
        browser.until(lambda driver: driver.execute_script(
            "return ['dashboard-figures', 'dashboard-lists'].every(id => document.getElementById(id)?.getAttribute('aria-busy') === 'false')"),
            "the dashboard")
        period = browser.driver.execute_script("return [document.getElementById('dashboard-from').value, document.getElementById('dashboard-to').value]")
        self.assertEqual(period, [day(-89), day(0)])
        figures = self.hub.ask(self.coord_token, {"type": "figures", "from": period[0], "to": period[1]})[0]["rows"]
        shown = browser.driver.execute_script("""
            return [...document.querySelectorAll('#figures-table tbody tr')].map(row => [row.dataset.unit,
                Object.fromEntries([...row.querySelectorAll('td')].map(cell => [cell.dataset.column, cell.textContent]))])""")
        self.assertEqual([unit for unit, _ in shown], [row["unit"] or "" for row in figures])

        def expected(column, value):
            if value is None:
                return "—"
            if column.endswith("_rate"):
                return f"{value * 100:.1f}%"
            if column == "average_handling_days":
                return f"{value:.1f}"
            return str(value)
        for (unit, cells), row in zip(shown, figures):
            for column, text in cells.items():
                self.assertEqual(text, expected(column, row[column]), f"{unit or 'all units'}: {column}")
        housing = next(cells for unit, cells in shown if unit == "housing")
        self.assertNotEqual(housing["answered"], "0", "the answered case is counted")
        # The chart has a bar per unit, labelled, and the table exports as CSV.
        self.assertEqual(browser.driver.execute_script("return document.querySelectorAll('svg.chart text.chart-label').length"),
                         len([row for row in figures if row["unit"] is not None]))
        self.assertTrue(browser.driver.execute_script("return document.getElementById('dashboard-csv').href.startsWith('blob:')"))
        # The supervision list says how many of each there are.
        lists = self.hub.ask(self.coord_token, {"type": "supervision"})[0]
        for name, total in lists["totals"].items():
            self.assertIn(f"共{total}项", browser.driver.execute_script(
                "return document.querySelector('#' + arguments[0] + ' h4').textContent", name), name)

    def test_the_pages_fit_at_1024_1366_and_1920_pixels(self):
        for index in range(3):
            self.register_case(f"拆迁补偿款迟迟未到位的信访事项（第{index + 1}户）")
        browser = self.browser("layout")
        browser.sign_in("coord")  # a coordinator's header holds the most
        for language, width in [("zh-CN", 1024), ("zh-CN", 1366), ("zh-CN", 1920), ("en", 1024), ("en", 1920)]:
            if browser.driver.execute_script("return document.documentElement.lang") != language:
                browser.element("language").click()
                browser.until(lambda driver: driver.execute_script("return document.documentElement.lang") == language, language)
            browser.driver.set_window_size(width, 900)
            for page in ("#/inbox", "#/cases"):
                browser.driver.execute_script(f"location.hash = '{page}'")
                if page == "#/cases":
                    browser.until(lambda driver: driver.execute_script("return document.querySelectorAll('#case-list tbody tr').length") >= 3, "the list")
                spread = browser.driver.execute_script("""
                    const middles = [...document.querySelectorAll('header > *')].map(e => e.getBoundingClientRect()).map(r => r.top + r.height / 2);
                    return Math.max(...middles) - Math.min(...middles);""")
                self.assertLess(spread, 6, f"{language} {width} px, {page}: the header on one line")
                self.assertTrue(browser.driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"),
                                f"{language} {width} px, {page}: no sideways scrolling")
            broken = browser.driver.execute_script("""
                return [...document.querySelectorAll('#case-list th, #case-list td:not(:nth-child(2))')].filter(cell => {
                    const range = document.createRange();
                    range.selectNodeContents(cell);
                    return range.getBoundingClientRect().height > parseFloat(getComputedStyle(cell).fontSize) * 2;
                }).map(cell => cell.textContent);""")
            self.assertEqual(broken, [], f"{language} {width} px: cells broken across lines")

    def test_my_work_shows_a_new_case_when_the_lobby_announces_it(self):
        # (The lobby was asked for before the socket had signed in; the join went out twice, the
        # second was refused, and the page dropped the lobby: no notice reached it.)
        housing = self.browser("housing")
        housing.sign_in("h-officer")
        housing.element("nav-inbox").click()
        housing.until(lambda driver: housing.text_of("inbox-note"), "my work read")
        case = self.register_case("新登记的协商案件")
        # From the lobby's notice, well before the page's 20-second re-read; and the header's count with it.
        housing.until(lambda driver: "answer_negotiation" in housing.work(case), "the new case in my work", timeout=8)
        owed = self.hub.ask(self.tokens["h-officer"], {"type": "inbox"})[0]["count"]
        housing.until(lambda driver: housing.text_of("inbox-count") == f"（{owed}）", "the header's count", timeout=8)

    def test_the_lead_unit_carries_a_case_to_closure_through_the_page_and_my_work_follows(self):
        case = self.register_case("协办到办结案件")
        self.hub.ask(self.tokens["h-officer"], {"type": "negotiation.answer", "case": case, "answer": "claim"})
        self.hub.ask(self.tokens["f-officer"], {"type": "negotiation.answer", "case": case, "answer": "cohandle"})
        housing, finance, coordinator = self.browser("housing"), self.browser("finance"), self.browser("coordinator")
        housing.sign_in("h-officer")
        finance.sign_in("f-officer")
        coordinator.sign_in("coord")

        def waits(browser, kind, present=True):
            """Waits until `kind` is (or is no longer) in the person's 我的待办 for the case."""
            browser.element("nav-inbox").click()
            browser.until(lambda driver: (kind in browser.work(case)) == present, f"{browser.name}: {kind} {'in' if present else 'gone from'} my work")
            browser.go_to_case(case)

        waits(housing, "send_acceptance_notice")
        self.assertEqual(housing.act("action-accepted"), "")
        housing.wait_text("case-status", "已受理")
        waits(housing, "send_acceptance_notice", present=False)
        waits(housing, "start_handling")
        self.assertEqual(housing.act("action-handling_started"), "")
        housing.wait_text("case-status", "办理中")
        # A refusal says what would be accepted: a resolution date after the handling limit names the latest date.
        limit = housing.driver.execute_script(
            "return document.querySelector('#case-deadlines li[data-kind=handling]').textContent.split(' ')[1]")
        self.assertEqual(housing.act("action-plan_set", responsible_leader="h-leader", measures="核实安置协议\n三十日内支付补偿",
                                     resolution_deadline=day(400)), f"“化解时限”不能晚于{limit}。")
        self.assertEqual(housing.fill_and_submit(resolution_deadline=day(30)), "")
        housing.wait_text("case-plan", "周敏")
        # The room's sentence names the people, not their ids.
        housing.until(lambda driver: any("包案领导周敏" in text and "h-leader" not in text for _, _, text in housing.timeline()), "the plan's sentence with names")
        finance.go_to_case(case)
        self.assertEqual(housing.act("action-task_assigned", unit="finance", what="确认补偿资金预算科目", due=day(14)), "")
        finance.wait_text("case-tasks", "确认补偿资金预算科目")
        # The header's 我的待办 count follows while the case page stays open (the act's event).
        owed = self.hub.ask(self.tokens["f-officer"], {"type": "inbox"})[0]["count"]
        finance.until(lambda driver: finance.text_of("inbox-count") == f"（{owed}）", f"the header's count ({owed}) on the case page",
                      detail=lambda: finance.text_of("inbox-count"))

        waits(finance, "acknowledge_task")
        self.assertEqual(finance.act("action-task_acknowledged-1"), "")
        waits(finance, "acknowledge_task", present=False)
        waits(finance, "report_on_task")
        self.assertEqual(finance.act("action-task_progress-1", text="已联系预算科", status="at_risk"), "")
        housing.wait_text("case-tasks", "已联系预算科")
        self.assertEqual(finance.act("action-task_done-1", result="预算科目2026-17已确认"), "")
        waits(finance, "report_on_task", present=False)
        waits(housing, "review_task_result")
        self.assertEqual(housing.act("action-task_accepted-1"), "")
        housing.wait_text("case-tasks", "已验收")

        self.assertEqual(housing.act("action-answer_drafted", request="支付安置补偿款", facts_and_reasons="经核实，协议约定补偿款应于2019年支付。",
                                     legal_basis="《国有土地上房屋征收与补偿条例》第二十五条"), "")
        housing.wait_text("case-state", "答复意见（第1稿）")
        waits(finance, "cosign_answer")
        self.assertEqual(finance.act("action-answer_cosigned-1"), "")
        waits(finance, "cosign_answer", present=False)
        housing.wait_text("draft-signatures", "财政局")
        # The one extension: asked for by the unit, approved by its leader from 我的待办.
        self.assertEqual(housing.act("action-extension_requested", days="26", reason="需补充测绘"), "“延期天数”须为1至25之间的整数。")
        self.assertEqual(housing.fill_and_submit(days="20"), "")
        leader = self.browser("leader")
        leader.sign_in("h-leader")
        leader.until(lambda driver: "decide_extension" in leader.work(case), "the extension to decide in the leader's work")
        leader.go_to_case(case)
        self.assertEqual(leader.act("action-extension_granted", reason="测绘确需时间"), "")
        for browser in (housing, leader):
            browser.wait_text("case-status", "已延期")
        waits(housing, "give_answer")
        self.assertEqual(housing.act("action-answered"), "")
        for browser in (housing, finance):
            browser.wait_text("case-status", "已答复")
        waits(housing, "give_answer", present=False)

        coordinator.go_to_case(case)
        self.assertEqual(coordinator.act("action-satisfaction_rated", satisfaction="satisfied"), "")
        self.assertEqual(coordinator.act("action-closed", reason="诉求已解决，信访人满意"), "")
        for browser in (housing, finance, coordinator):
            browser.wait_text("case-status", "已办结")
            self.assertEqual(browser.actions(), [], "a closed case offers nothing")

    def test_every_act_costs_its_browser_one_request_and_every_other_page_at_most_one_read(self):
        case = self.register_case("计帧案件")
        self.hub.ask(self.tokens["h-officer"], {"type": "negotiation.answer", "case": case, "answer": "claim"})
        self.hub.ask(self.tokens["f-officer"], {"type": "negotiation.answer", "case": case, "answer": "cohandle"})
        browsers = {name: self.browser(name) for name in ["housing", "finance", "leader", "coordinator"]}
        for name, person in [("housing", "h-officer"), ("finance", "f-officer"), ("leader", "h-leader"), ("coordinator", "coord")]:
            browsers[name].sign_in(person)
            browsers[name].go_to_case(case)
        for browser in browsers.values():
            browser.sent_frames()  # from here on, every frame is counted
        acts = [("housing", "action-accepted", {}), ("housing", "action-handling_started", {}),
                ("housing", "action-plan_set", {"responsible_leader": "h-leader", "measures": "核实安置协议", "resolution_deadline": day(30)}),
                ("housing", "action-task_assigned", {"unit": "finance", "what": "确认预算科目", "due": day(14)}),
                ("finance", "action-task_acknowledged-1", {}), ("finance", "action-task_done-1", {"result": "预算科目已确认"}),
                ("housing", "action-task_accepted-1", {}),
                ("housing", "action-answer_drafted", {"request": "支付补偿款", "facts_and_reasons": "经核实协议属实。", "legal_basis": "《信访工作条例》第三十三条"}),
                ("finance", "action-answer_cosigned-1", {}),
                ("housing", "action-extension_requested", {"days": "10", "reason": "需补充测绘"}),
                ("leader", "action-extension_granted", {"reason": "同意"}),
                ("housing", "action-answered", {}),
                ("coordinator", "action-satisfaction_rated", {"satisfaction": "satisfied"}),
                ("coordinator", "action-closed", {"reason": "诉求已解决"})]
        sent = {name: [] for name in browsers}
        for actor, action, fields in acts:
            before = browsers[actor].case_events()
            self.assertEqual(browsers[actor].act(action, **fields), "", action)
            # Every page shows the act (its event, and the state read once), before the next.
            for name, browser in browsers.items():
                browser.until(lambda driver, b=browser: b.case_events() > before, f"{name}: the event of {action}")
                browser.until(lambda driver, b=browser: not b.driver.execute_script(
                    "return document.getElementById('case-state').getAttribute('aria-busy') === 'true'"), f"{name}: the state after {action}")
            for name, browser in browsers.items():
                sent[name] += browser.sent_frames()
        for browser in browsers.values():
            browser.wait_text("case-status", "已办结")
        for name, browser in browsers.items():
            sent[name] += browser.sent_frames()
            own = sum(1 for actor, _, _ in acts if actor == name)
            others = len(acts) - own
            changes, reads = sent[name].count("case.change"), sent[name].count("case.overview")
            self.assertEqual(changes, own, f"{name}: one case.change per act: {sent[name]}")
            self.assertLessEqual(reads, others, f"{name}: at most one read per act of another: {sent[name]}")
            self.assertEqual(sent[name].count("case.get"), 0, f"{name}: the case comes with the reply or the overview: {sent[name]}")
            unexpected = [kind for kind in sent[name] if kind not in ("case.change", "case.overview", "inbox")]
            self.assertEqual(unexpected, [], f"{name}: nothing else is sent while acting and watching")
        print(f"frames sent for {len(acts)} acts to closure: " + ", ".join(f"{name} {len(frames)} ({frames.count('case.change')} acts, "
              f"{frames.count('case.overview')} reads, {frames.count('inbox')} header counts)" for name, frames in sent.items()), file=sys.stderr)

    def test_two_browsers_see_each_other_live_and_survive_a_restart_without_gap_or_duplicate(self):
        case = self.register_case(HOSTILE_TITLE)
        housing, finance = self.browser("housing"), self.browser("finance")
        housing.sign_in("h-officer")
        finance.sign_in("f-officer")
        housing.open_case(case)
        finance.open_case(case)
        housing.post(HOSTILE_MESSAGE)
        finance.until(lambda driver: any(HOSTILE_MESSAGE in text for _, kind, text in finance.timeline() if kind == "message"),
                      "the message in the other browser")
        # The room is for the case: who is present shows in the member list, not as lines in the room.
        housing.until(lambda driver: "李明" in (housing.text_of("presence") or ""), "finance's officer in the member list")
        self.assertEqual(housing.driver.execute_script(
            "return [...document.querySelectorAll('#timeline li')].filter(li => li.offsetParent !== null && li.classList.contains('presence-event')).length"), 0)

        self.hub.stop()
        for browser in (housing, finance):
            browser.wait_text("connection", "连接已断开，正在重新连接…")
        housing.post("断线期间输入的消息")
        # Nothing vanishes: the message shows as waiting while the hub is away.
        housing.until(lambda driver: "断线期间输入的消息" in (housing.text_of("pending-messages") or ""), "the message shown as waiting")
        self.assertIn("等待发送", housing.text_of("pending-messages"))
        self.hub.start()
        for browser in (housing, finance):
            browser.wait_text("connection", "已连接")
        for browser in (housing, finance):
            browser.until(lambda driver, b=browser: any("断线期间输入的消息" in text for _, _, text in b.timeline()),
                          "the message typed while the hub was down")
        finance.post("恢复后的消息")
        for browser in (housing, finance):
            browser.until(lambda driver, b=browser: any("恢复后的消息" in text for _, _, text in b.timeline()), "the message after the restart")
            sequence = [seq for seq, _, _ in browser.timeline()]
            self.assertEqual(sequence, list(range(sequence[0], sequence[0] + len(sequence))), f"{browser.name}: a gap or a duplicate")
            self.assertEqual(sum("断线期间输入的消息" in text for _, _, text in browser.timeline()), 1, "sent once")
        housing.until(lambda driver: not housing.text_of("pending-messages"), "no message left waiting once stored")

        for browser in (housing, finance):
            self.assertIsNone(browser.driver.execute_script("return window.__xss"), "hostile text ran")
            self.assertEqual(browser.driver.execute_script("return document.querySelectorAll('#app img, #app script').length"), 0)
            self.assertIn(HOSTILE_TITLE, browser.text_of("case-title"))
            self.assertIn(HOSTILE_MESSAGE, browser.text_of("timeline"))
        self.assertIn(HOSTILE_UNIT, housing.text_of("who"))
        self.assertIn("财政局</script>", finance.text_of("who"))

    def test_a_page_from_a_foreign_origin_cannot_open_the_socket(self):
        page = f"""<!doctype html><title>waiting</title><script>
            const socket = new WebSocket("wss://localhost:{self.hub.port}/v1/ws", "conferencehub.v1");
            socket.onopen = () => document.title = "open";
            socket.onerror = () => document.title = "refused";
            </script>""".encode()

        class Page(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *arguments):
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Page)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            # A browser holding a certificate sends it to the hub whatever page asks: the hub
            # must refuse the page by its origin (403). (Without a certificate to send, Chromium
            # gives up on such a socket even before asking: that is no test of the hub.)
            browser = self.certificate_browser("foreign")
            browser.open("/")  # the person uses the console, so the browser has chosen the certificate for the hub
            browser.element("signin-person")
            browser.driver.get(f"http://127.0.0.1:{server.server_address[1]}/")
            browser.until(lambda driver: driver.title in ("open", "refused"), "the socket's fate")
            self.assertEqual(browser.driver.title, "refused")
            console = [entry["message"] for entry in browser.driver.get_log("browser")]
            self.assertTrue(any("Unexpected response code: 403" in message for message in console), console)
        finally:
            server.shutdown()
        with open(os.path.join(self.root, "hub.log")) as log:
            self.assertIn("websocket upgrade refused: foreign origin", log.read())

    def test_the_english_switch_leaves_no_chinese_and_chinese_no_english(self):
        case = self.register_case("语言检查案件")
        browser = self.browser("language")
        browser.open("/")
        self.assertIsNone(ENGLISH_WORD.search(browser.words()), browser.words())
        browser.sign_in("f-officer")
        self.assertIsNone(ENGLISH_WORD.search(browser.words()), browser.words())
        browser.open_case(case)
        browser.post("Hello in English is data, not a word of the console")
        browser.until(lambda driver: any("Hello in English" in text for _, _, text in browser.timeline()), "the message")
        browser.element("action-negotiation_answered").click()
        browser.element("form-submit")
        self.assertIsNone(ENGLISH_WORD.search(browser.words()), browser.words())

        browser.element("language").click()
        browser.wait_text("language", "Switch to Chinese")
        browser.until(lambda driver: "Case room" in driver.find_element(By.ID, "page").text, "the case page in English")
        self.assertIsNone(CJK.search(browser.words()), browser.words())
        browser.element("action-negotiation_answered").click()
        browser.wait_text("form-submit", "Submit")
        self.assertIsNone(CJK.search(browser.words()), browser.words())
        browser.element("nav-cases").click()
        browser.wait_text("page", "My unit's part")
        self.assertIsNone(CJK.search(browser.words()), browser.words())
        browser.element("nav-inbox").click()
        browser.wait_text("page", "My work")
        browser.wait_text("inbox-note", "items, the most urgent first")
        self.assertIsNone(CJK.search(browser.words()), browser.words())
        browser.open("/")  # the session is in memory only: a reload signs in again, in English
        browser.wait_text("signin-submit", "Sign in")
        self.assertIsNone(CJK.search(browser.words()), browser.words())
        browser.element("signin-person")
        browser.driver.execute_script("localStorage.removeItem('conferencehub.language')")


class DemoConferenceTests(unittest.TestCase):
    """A newcomer's first look: `serve --demo` on a new data directory, then the console as the
    demonstration's people (their one-time passwords from the file the hub wrote, with JSON logs)."""

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="demo-test-")
        cls.hub = cls.demo_hub("data")

    @classmethod
    def demo_hub(cls, name):
        """`serve --demo` on a new data directory."""
        hub = Hub(os.path.join(cls.root, name), data=os.path.join(cls.root, name, "data"))
        hub.serve_arguments = ["--demo"]
        hub.start()
        hub.chosen = set()  # who has chosen their own password
        return hub

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()
        shutil.rmtree(cls.root, ignore_errors=True)

    def setUp(self):
        self.browsers = []

    def tearDown(self):
        for browser in self.browsers:
            browser.quit()

    def sign_ins(self, hub=None):
        path = os.path.join((hub or self.hub).data, "demo-sign-ins.txt")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        with open(path) as handle:
            found = re.findall(r"^  (\S+)\s+(\S+)  (\S+?)，", handle.read(), re.MULTILINE)
        return {person: (password, name) for person, password, name in found}

    def test_the_demonstration_conference_signs_in_its_people_with_cases_and_a_dispute(self):
        sign_ins = self.sign_ins()
        self.assertEqual(set(sign_ins), {"wangfang", "zhaomin", "lijianguo", "zhangwei", "liuyang", "chenjing", "yangfan",
                                         "zhouqiang", "wuxia", "sunli", "huangtao", "xuming"})
        # The passwords are in the file only, not in the hub's output or its log.
        with open(os.path.join(self.hub.root, "hub.log")) as handle:
            printed = "".join(self.hub.stdout_lines) + handle.read()
        self.assertIn("demo-sign-ins.txt", printed)
        for password, _ in sign_ins.values():
            self.assertNotIn(password, printed)

        coordinator = self.first_sign_in("wangfang", "王芳")
        coordinator.element("nav-cases").click()
        rows = """return [...document.querySelectorAll('#case-rows tr')].map(row => [...row.cells].map(cell => cell.textContent))"""
        coordinator.until(lambda driver: len(driver.execute_script(rows)) == 6, "the six cases",
                          detail=lambda: coordinator.driver.execute_script(rows))
        listed = coordinator.driver.execute_script(rows)
        year = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai")).year
        self.assertEqual([row[0] for row in listed], [f"〔{year}〕第{index:04d}号" for index in range(1, 7)])
        self.assertEqual([row[2] for row in listed], ["办理中", "已办结", "已答复", "已受理", "协商有争议", "协商受理中"])

        # The leader above both disputing departments has the decision in 我的待办.
        leader = self.first_sign_in("lijianguo", "李建国")
        leader.element("nav-inbox").click()
        leader.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "#inbox-items li[data-kind='decide_lead']"), "the dispute to decide",
                     detail=lambda: leader.text_of("inbox-items"))
        self.assertIn("城南安置房项目农民工工资拖欠", leader.text_of("inbox-items"))

    def first_sign_in(self, person, name, screenshot=None, hub=None):
        """A browser signed in as `person` of the demonstration: with the one-time password and a
        new one chosen the first time, with the chosen one after that (whichever test runs first)."""
        hub = hub or self.hub
        browser = Browser(hub, "demo-" + person)
        self.browsers.append(browser)
        browser.open("/")
        chosen = name + "的新密码2026年"
        if person in hub.chosen:
            self.assertEqual(browser.submit_sign_in(person, chosen), "")
        else:
            password = self.sign_ins(hub)[person][0]
            self.assertEqual(browser.submit_sign_in(person, password), "这是一次性初始密码，请设置新密码后登录。")
            if screenshot:
                browser.screenshot(screenshot)
            self.assertEqual(browser.submit_sign_in(None, password, chosen), "")
            hub.chosen.add(person)
        browser.wait_text("who", name)
        return browser

    def test_every_page_as_the_demonstration_shows_it(self):
        """The pages of docs/console.md, as people of the demonstration see them (the screenshots
        of docs/console/ are taken here, with CONFERENCEHUB_SCREENSHOTS set). Its own hub: it acts."""
        hub = self.demo_hub("pages")
        try:
            self.every_page(hub)
        finally:
            hub.stop()

    def every_page(self, hub):
        coordinator = self.first_sign_in("zhaomin", "赵敏", screenshot="signin-change-password", hub=hub)
        coordinator.element("nav-cases").click()
        coordinator.until(lambda driver: len(driver.find_elements(By.CSS_SELECTOR, "a.case-link")) == 6, "the six cases")
        coordinator.screenshot("cases")
        coordinator.go_to_case("case-2")
        coordinator.wait_text("case-status", "已办结")
        coordinator.screenshot("closed")

        office = self.first_sign_in("wangfang", "王芳", hub=hub)
        office.element("nav-register").click()
        office.element("form-submit")
        office.screenshot("register")

        housing = self.first_sign_in("zhangwei", "张伟", hub=hub)
        housing.element("nav-inbox").click()
        housing.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "#inbox-items li[data-kind='answer_negotiation']"), "the negotiation to answer")
        housing.screenshot("inbox")
        housing.go_to_case("case-6")
        housing.element("action-negotiation_answered").click()
        housing.element("form-submit")
        housing.screenshot("negotiation")

        # The co-signing of an answer: natural resources leads case 3, finance co-handles it.
        lead = self.first_sign_in("zhouqiang", "周强", hub=hub)
        lead.go_to_case("case-4")
        self.assertEqual(lead.act("action-handling_started"), "")
        self.assertEqual(lead.act("action-answer_drafted", request="按最新标准重新核定青苗补偿",
                                  facts_and_reasons="经核查，东郊村青苗补偿按2023年标准计算，应适用2026年新标准，差额由区财政补足。",
                                  legal_basis="《中华人民共和国土地管理法》第四十八条"), "")
        finance = self.first_sign_in("sunli", "孙丽", hub=hub)
        finance.go_to_case("case-4")
        finance.until(lambda driver: driver.find_elements(By.ID, "action-answer_cosigned-1"), "the answer to co-sign")
        finance.screenshot("cosign")

        leader = self.first_sign_in("lijianguo", "李建国", hub=hub)
        leader.element("nav-supervision").click()
        leader.until(lambda driver: driver.execute_script(
            "return ['dashboard-figures', 'dashboard-lists'].every(id => document.getElementById(id)?.getAttribute('aria-busy') === 'false')"),
            "the dashboard")
        # The warnings: deadlines past half their time, counted by level, each listed.
        counts = leader.driver.execute_script(
            "return [...document.querySelectorAll('#warning-counts li')].map(li => [li.dataset.level, Number(li.querySelector('.count').textContent)])")
        self.assertEqual([level for level, _ in counts], ["50", "75", "85", "99"])
        self.assertGreaterEqual(sum(count for _, count in counts), 2)
        self.assertEqual(leader.driver.execute_script("return document.querySelectorAll('#warnings li').length"), sum(count for _, count in counts))
        leader.screenshot("supervision")
        self.record(leader)
        leader.screenshot("record")

        district = self.first_sign_in("xuming", "徐明", hub=hub)
        district.go_to_case("case-1")
        district.post("已约谈施工单位，自今晚起22时后停止施工，街道每晚巡查。")
        district.until(lambda driver: any("已约谈施工单位" in text for _, _, text in district.timeline()), "the message in the room")
        district.screenshot("case-room")
        district.element("language").click()
        district.until(lambda driver: "Case room" in driver.find_element(By.ID, "page").text, "the case page in English")
        district.screenshot("case-english")
        district.driver.execute_script("localStorage.removeItem('conferencehub.language')")

    TAMPERING = """(() => {
      // The hub's replies as a hostile network or hub might change them, as the test asks
      // (localStorage "test.tamper"): an entry's text, or an inclusion proof's first hash.
      const Native = window.WebSocket;
      window.WebSocket = class extends Native {
        set onmessage(handler) {
          super.onmessage = (event) => {
            const mode = localStorage.getItem("test.tamper");
            if (!mode) return handler(event);
            const frame = JSON.parse(event.data), result = frame.result;
            if (result && mode === "entry" && Array.isArray(result.entries)) {
              for (const entry of result.entries) if (entry.index === 1) entry.entry = entry.entry.replace('"approve":true', '"approve":false');
            }
            if (result && mode === "proof" && result.index === 2 && Array.isArray(result.path) && result.path.length > 0) {
              const bytes = atob(result.path[0]);
              result.path[0] = btoa(String.fromCharCode(bytes.charCodeAt(0) ^ 1) + bytes.slice(1));
            }
            handler({ data: JSON.stringify(frame) });
          };
        }
        get onmessage() { return super.onmessage; }
      };
    })();"""

    def record(self, browser):
        """The decision record page once checked: the checkpoint's line and each entry's result."""
        browser.driver.execute_script("location.hash = '#/record'")
        done = """const body = document.getElementById('record-entries'), status = document.getElementById('record-checkpoint');
                  return body && status && status.dataset.verified !== undefined && body.getAttribute('aria-busy') === 'false'
                    && [...body.querySelectorAll('tr')].every(row => row.cells[3].dataset.verified !== undefined)"""
        browser.until(lambda driver: driver.execute_script(done), "the record checked", detail=lambda: browser.text_of("page"))
        rows = browser.driver.execute_script("""return [...document.querySelectorAll('#record-entries tr')].map(row =>
            [Number(row.dataset.index), row.cells[3].dataset.verified === 'true', row.cells[3].textContent, row.cells[1].textContent])""")
        status = browser.driver.execute_script("const s = document.getElementById('record-checkpoint'); return [s.dataset.verified === 'true', s.textContent]")
        return status, rows

    def test_the_browser_verifies_the_decision_record_itself_and_shows_tampering(self):
        browser = self.first_sign_in("zhaomin", "赵敏")
        browser.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": self.TAMPERING})
        browser.open("/")  # the tampering hook is in place from this load on, unused until asked
        browser.submit_sign_in("zhaomin", "赵敏的新密码2026年")
        browser.wait_text("who", "赵敏")
        (verified, line), rows = self.record(browser)
        self.assertTrue(verified, line)
        self.assertIn("共4条记录", line)
        self.assertEqual([(index, ok) for index, ok, _, _ in rows], [(0, True), (1, True), (2, True), (3, True)])
        self.assertTrue(all(meeting == "东郊村征地补偿标准异议案联席会商" for _, _, _, meeting in rows), rows)
        self.assertRegex(browser.text_of("record-key"), r"会议公钥指纹：([0-9a-f]{4} ){7}[0-9a-f]{4}")
        # The next look extends the checkpoint this browser kept.
        browser.driver.execute_script("location.hash = '#/cases'")
        (verified, line), rows = self.record(browser)
        self.assertTrue(verified, line)
        self.assertIn("延续本浏览器上次见到的4条", line)

        # A tampered entry, and a tampered proof: each shows as not verified, saying what failed.
        browser.driver.execute_script("localStorage.setItem('test.tamper', 'entry')")
        browser.driver.execute_script("location.hash = '#/cases'")
        _, rows = self.record(browser)
        self.assertEqual([(index, ok) for index, ok, _, _ in rows], [(0, True), (1, False), (2, True), (3, True)])
        self.assertEqual(rows[1][2], "未通过验证：记录内容与其哈希不符")
        browser.driver.execute_script("localStorage.setItem('test.tamper', 'proof')")
        browser.driver.execute_script("location.hash = '#/cases'")
        _, rows = self.record(browser)
        self.assertEqual([(index, ok) for index, ok, _, _ in rows], [(0, True), (1, True), (2, False), (3, True)])
        self.assertEqual(rows[2][2], "未通过验证：包含证明不成立")
        browser.driver.execute_script("localStorage.removeItem('test.tamper')")

        # A checkpoint that does not extend the one seen before (as if the hub showed this browser
        # a record of two entries with another root): nothing is verified, and the page says why.
        browser.driver.execute_script("""const kept = JSON.parse(localStorage.getItem('conferencehub.record'));
            localStorage.setItem('conferencehub.record', JSON.stringify({ ...kept, size: 2, root: btoa('x'.repeat(32)) }))""")
        browser.driver.execute_script("location.hash = '#/cases'")
        (verified, line), rows = self.record(browser)
        self.assertFalse(verified)
        self.assertIn("检查点没有延续本浏览器上次见到的记录", line)
        self.assertTrue(all(not ok and text == "未通过验证：检查点未通过验证" for _, ok, text, _ in rows), rows)
        kept = browser.driver.execute_script("return JSON.parse(localStorage.getItem('conferencehub.record')).size")
        self.assertEqual(kept, 2, "a checkpoint that failed is not kept")

    def test_the_record_checks_agree_with_rfc_6962_proofs_for_every_tree_size(self):
        # verify.js, in the browser, against proofs made here by RFC 6962's own definitions (§2.1.1
        # PATH, §2.1.2 PROOF and SUBPROOF) for every size to 17 and every index and pair; each
        # proof with one hash changed must fail.
        import hashlib

        def leaf(data):
            return hashlib.sha256(b"\x00" + data).digest()

        def node(left, right):
            return hashlib.sha256(b"\x01" + left + right).digest()

        def split(n):
            k = 1
            while k * 2 < n:
                k *= 2
            return k

        def mth(leaves):
            if len(leaves) == 1:
                return leaves[0]
            k = split(len(leaves))
            return node(mth(leaves[:k]), mth(leaves[k:]))

        def path(m, leaves):
            if len(leaves) == 1:
                return []
            k = split(len(leaves))
            return path(m, leaves[:k]) + [mth(leaves[k:])] if m < k else path(m - k, leaves[k:]) + [mth(leaves[:k])]

        def subproof(m, leaves, complete):
            n = len(leaves)
            if m == n:
                return [] if complete else [mth(leaves)]
            k = split(n)
            if m <= k:
                return subproof(m, leaves[:k], complete) + [mth(leaves[k:])]
            return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]

        def b64(data):
            import base64
            return base64.b64encode(data).decode()

        entries = [json.dumps({"kind": "outcome", "item": index, "proposal": f"议题{index}"}, ensure_ascii=False, separators=(",", ":"))
                   for index in range(17)]
        leaves = [leaf(entry.encode()) for entry in entries]
        cases = {"inclusion": [], "consistency": []}
        for size in range(1, 18):
            root = mth(leaves[:size])
            for index in range(size):
                cases["inclusion"].append([entries[index], index, size, [b64(h) for h in path(index, leaves[:size])], b64(root)])
            for first in range(1, size + 1):
                cases["consistency"].append([first, size, b64(mth(leaves[:first])), b64(root),
                                             [b64(h) for h in subproof(first, leaves[:size], True)]])
        browser = self.first_sign_in("yangfan", "杨帆")
        failures = browser.driver.execute_async_script("""
            const [cases, done] = arguments;
            import('/console/verify.js').then(async (v) => {
              const failures = [];
              const bytes = (text) => v.fromBase64(text);
              const flip = (list, at) => list.map((text, index) => index === at ? v.toBase64(bytes(text).map((b, i) => i === 0 ? b ^ 1 : b)) : text);
              for (const [entry, index, size, path, root] of cases.inclusion) {
                const leaf = await v.leafHash(entry);
                if (await v.checkInclusion(index, size, leaf, path.map(bytes), bytes(root)) !== null) failures.push(['inclusion', index, size]);
                for (let at = 0; at < path.length; at += 1) {
                  if (await v.checkInclusion(index, size, leaf, flip(path, at).map(bytes), bytes(root)) === null) failures.push(['tampered inclusion', index, size, at]);
                }
                if (await v.checkInclusion(index, size, await v.leafHash(entry + ' '), path.map(bytes), bytes(root)) === null) failures.push(['tampered entry', index, size]);
              }
              for (const [first, second, firstRoot, secondRoot, proof] of cases.consistency) {
                if (await v.checkConsistency(first, second, bytes(firstRoot), bytes(secondRoot), proof.map(bytes)) !== null) failures.push(['consistency', first, second]);
                for (let at = 0; at < proof.length; at += 1) {
                  if (await v.checkConsistency(first, second, bytes(firstRoot), bytes(secondRoot), flip(proof, at).map(bytes)) === null) failures.push(['tampered consistency', first, second, at]);
                }
                if (first < second && await v.checkConsistency(first, second, bytes(secondRoot), bytes(secondRoot), proof.map(bytes)) === null) failures.push(['wrong first root', first, second]);
              }
              done(failures);
            }, (error) => done([String(error)]));""", cases)
        self.assertEqual(failures, [])
        self.assertGreater(len(cases["inclusion"]), 150)

    def test_a_conference_that_exists_is_never_replaced_by_the_demonstration(self):
        done = subprocess.run([BINARY, "serve", "--data-dir", self.hub.data, "--port", "0", "--demo"], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("holds a conference already, and nothing was changed", done.stdout + done.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
