"""The supervision dashboard's load time in a real headless Chromium, on a conference `conference-hub
bench scale` built (docs/benchmarks.md, "The supervision dashboard at scale"):

    conference-hub bench scale --sizes 100000 --directory DIR      # builds DIR/100000 once
    CONFERENCEHUB_BINARY=.build/release/conference-hub .venv/bin/python \\
        Tests/HubTests/Browser/dashboard_bench.py --data DIR/100000/data [--runs 10]

It gives coordinator-1 a password (`admin person password`), serves the directory, signs in, and
times each load of the dashboard from the address to every part drawn (the warnings, the figures of
90 days for every unit, the supervision list): median and slowest of the runs, in milliseconds.
Figures, not pass/fail."""
import json
import statistics
import sys
import tempfile

from console_test import Browser, Hub


def main():
    data = sys.argv[sys.argv.index("--data") + 1]
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 10
    root = tempfile.mkdtemp(prefix="dashboard-bench-")
    hub = Hub(root, data=data)
    one_time = hub.admin("person", "password", "coordinator-1").strip().splitlines()[-1]
    hub.start()
    browser = None
    try:
        browser = Browser(hub, "dashboard")
        browser.open("/")
        browser.submit_sign_in("coordinator-1", one_time)
        browser.submit_sign_in(None, one_time, "仪表板基准测试2026冬")
        browser.until(lambda driver: driver.find_elements("id", "nav-supervision"), "signed in")
        # Timed in the page: from the address to the frame in which every part is drawn.
        timed = """const done = arguments[arguments.length - 1];
            const drawn = () => ['dashboard-warnings', 'dashboard-figures', 'dashboard-lists']
              .every(id => document.getElementById(id)?.getAttribute('aria-busy') === 'false');
            const start = performance.now();
            location.hash = '#/supervision';
            const check = () => (drawn() ? done(performance.now() - start) : requestAnimationFrame(check));
            requestAnimationFrame(check);"""
        browser.driver.set_script_timeout(60)
        times = []
        for _ in range(runs + 1):
            browser.driver.execute_script("location.hash = '#/cases'")
            browser.until(lambda driver: driver.find_elements("id", "filter-search"), "the case list")
            times.append(browser.driver.execute_async_script(timed))
        times = times[1:]  # the first load warms the hub's caches
        print(json.dumps({"runs": runs, "median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1),
                          "all_ms": [round(value, 1) for value in times]}))
    finally:
        if browser:
            browser.quit()
        hub.stop()


if __name__ == "__main__":
    main()
