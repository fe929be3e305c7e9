"""``accord ui``: run the MLflow server on the project's store and open the review page once it answers.

A browser is opened only where a desktop session exists (or on ``--open``): on a headless server the printed
links are what a reviewer follows through an SSH tunnel.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
import webbrowser

from accord.tracking import server_command

STARTUP_TIMEOUT_S = 120  # the server's first start migrates a new sqlite store, which takes a while on 2 cores


def has_desktop() -> bool:
    """Whether a browser window could appear here."""
    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def wait_until_up(base: str, proc: subprocess.Popen, timeout_s: float = STARTUP_TIMEOUT_S) -> bool:
    """Poll ``/health`` until the server answers; False if it exits or the time runs out."""
    deadline = time.monotonic() + timeout_s
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2) as resp:
                if resp.status == 200:
                    return True
        except OSError:
            time.sleep(0.5)
    return False


def serve(uri: str | None, host: str, port: int, first_page: str, open_browser: bool | None = None) -> int:
    """Run the server until Ctrl-C or SIGTERM; returns its exit code (0 when stopped).

    The server runs in its own process group (it starts workers of its own), and the whole group is stopped.
    """
    proc = subprocess.Popen(server_command(uri, host, port), start_new_session=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        if (has_desktop() if open_browser is None else open_browser) and wait_until_up(first_page.split("/#")[0],
                                                                                           proc):
            webbrowser.open(first_page)
        return proc.wait()
    except KeyboardInterrupt:
        _stop_group(proc)
        return 0


def _stop_group(proc: subprocess.Popen) -> None:
    for sig, wait_s in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=wait_s)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue
