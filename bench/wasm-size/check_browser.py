#!/usr/bin/env python3
"""Runs each client measure.sh left in out/ in headless Chromium against an echo server.

    bench/wasm-size/check_browser.py ECHO_SERVER_BINARY

ECHO_SERVER_BINARY is squall's examples/echo_server (cargo build --release --example
echo_server). Serves out/ on 127.0.0.1, starts the echo server allowing that origin, and
drives /usr/bin/chromium through /usr/bin/chromedriver (WebDriver over HTTP, stdlib only).
For each client the page calls `run("ws://...")`, which connects, sends "hello", reads one
message and closes; prints what `run` returned (or threw) and exits non-zero unless every
client got "hello" back.
"""
import functools
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
CLIENTS = ["size-squall", "size-gloo-net", "size-tokio-tungstenite-wasm"]
PAGE = """<!doctype html><meta charset="utf-8"><title>wasm-size check</title>
<pre id="status">running</pre><pre id="result"></pre>
<script type="module">
const q = new URLSearchParams(location.search);
const pkg = q.get("pkg"), stem = pkg.replaceAll("-", "_");
const [status, result] = [document.getElementById("status"), document.getElementById("result")];
try {
  const mod = await import(`./${pkg}/${stem}.js`);
  await mod.default();
  result.textContent = await mod.run(q.get("url"));
  status.textContent = "done";
} catch (e) {
  result.textContent = String(e);
  status.textContent = "error";
}
</script>
"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def webdriver(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.load(resp)["value"]


def wait_for_line(proc, prefix, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = proc.stdout.readline()
        if line.startswith(prefix):
            return line
    raise RuntimeError(f"no {prefix!r} line")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(os.path.join(OUT, "index.html"), "w") as f:
        f.write(PAGE)

    page_port = free_port()
    origin = f"http://127.0.0.1:{page_port}"
    handler = functools.partial(QuietHandler, directory=OUT)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", page_port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()

    echo = subprocess.Popen([sys.argv[1], "--port", "0", "--allow-origin", origin],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    driver_port = free_port()
    driver = subprocess.Popen(["/usr/bin/chromedriver", f"--port={driver_port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    failed = False
    try:
        ws = "ws://" + wait_for_line(echo, "listening on ").split()[2]
        base = f"http://127.0.0.1:{driver_port}"
        for _ in range(100):
            try:
                webdriver(base, "GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        session = webdriver(base, "POST", "/session", {"capabilities": {"alwaysMatch": {
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"]}}}})["sessionId"]
        try:
            for pkg in CLIENTS:
                webdriver(base, "POST", f"/session/{session}/url",
                          {"url": f"{origin}/index.html?pkg={pkg}&url={ws}/"})
                status = "running"
                for _ in range(150):
                    status = webdriver(base, "POST", f"/session/{session}/execute/sync", {
                        "script": "return document.getElementById('status').textContent",
                        "args": []})
                    if status != "running":
                        break
                    time.sleep(0.1)
                result = webdriver(base, "POST", f"/session/{session}/execute/sync", {
                    "script": "return document.getElementById('result').textContent",
                    "args": []})
                ok = status == "done" and result == "hello"
                failed |= not ok
                print(f"{pkg}: {'ok' if ok else 'FAILED'} ({status}: run() -> {result!r})")
        finally:
            webdriver(base, "DELETE", f"/session/{session}")
    finally:
        driver.terminate()
        echo.terminate()
        driver.wait()
        echo.wait()
        httpd.shutdown()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
