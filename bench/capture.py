"""Capture benchmark: the time and memory of one capture of a public page (issue 16).

Run from the repository root (Linux: it reads /proc)::

    .venv/bin/python -m bench.capture [--captures 5] [--chromium /usr/bin/chromium] [--json]
        [--in-process]

Serves a page the size of a busy channel page (a long text, 30 images, a style sheet) on
loopback and captures it `--captures` times with the capture worker's `IsolatedCapturer` (a
helper process as the capture user, running the driver and the browser), or with
`--in-process` with `BrowserCapturer` in this process, as before issue 16's isolation (the
first capture includes starting the helper and the browser). While it runs it samples, every 20 ms,
every process below this one (the Playwright driver and Chromium's processes) and reports
their peak summed resident memory (RSS, which counts shared pages once per process, and PSS,
which shares them out), the largest browser process's own peak (VmHWM), and this
process's VmHWM, which is the bot's side of a capture.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

from aiohttp import web

from bot.capture.browser import BrowserCapturer, find_chromium
from bot.capture.isolated import IsolatedCapturer
from bot.capture.isolation import capture_user
from domain.clock import SystemClock
from tests.support.capture_site import PIXEL

PARAGRAPH = "<p>" + "Förskolan Ugglan berättar om veckans aktiviteter. " * 30 + "</p>"


def _page() -> str:
    images = "".join(f'<img src="/img/{i}.png" width="600" height="300">' for i in range(30))
    return (
        '<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>Ugglan</title>'
        '<link rel="stylesheet" href="/style.css"></head><body><h1>Förskolan Ugglan</h1>'
        + PARAGRAPH * 60
        + images
        + "</body></html>"
    )


async def _serve() -> tuple[web.AppRunner, str]:
    page = _page()
    app = web.Application()
    app.router.add_get("/", lambda _r: web.Response(text=page, content_type="text/html"))
    app.router.add_get(
        "/style.css", lambda _r: web.Response(text="p{font:16px serif}", content_type="text/css")
    )
    app.router.add_get(
        "/img/{n}.png", lambda _r: web.Response(body=PIXEL * 1, content_type="image/png")
    )
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/"


def _status(pid: int) -> dict[str, str]:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def _pss_kib(pid: int) -> int:
    """Proportional set size: shared pages counted once across the processes."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _kib(value: str | None) -> int:
    return int(value.split()[0]) if value else 0


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            ppid = _status(int(entry)).get("PPid")
            if ppid:
                children.setdefault(int(ppid), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class Sampler:
    """Samples the memory of the processes below this one."""

    def __init__(self) -> None:
        self.peak_total_kib = 0
        self.peak_pss_kib = 0
        self.browser_hwm_kib: dict[int, int] = {}
        self.driver_hwm_kib: dict[int, int] = {}
        self.helper_hwm_kib: dict[int, int] = {}

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            total = pss = 0
            for pid in _descendants(os.getpid()):
                status = _status(pid)
                total += _kib(status.get("VmRSS"))
                pss += _pss_kib(pid)
                name = status.get("Name", "")
                target = (
                    self.browser_hwm_kib
                    if "chrom" in name
                    else (self.helper_hwm_kib if "python" in name else self.driver_hwm_kib)
                )
                target[pid] = max(target.get(pid, 0), _kib(status.get("VmHWM")))
            self.peak_total_kib = max(self.peak_total_kib, total)
            self.peak_pss_kib = max(self.peak_pss_kib, pss)
            await asyncio.sleep(0.02)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=int, default=5)
    parser.add_argument("--chromium", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args(argv)
    chromium = find_chromium(args.chromium)
    if chromium is None:
        print("no Chromium found (CHROMIUM_PATH or /usr/bin/chromium)", file=sys.stderr)
        return 2
    runner, url = await _serve()
    capturer: BrowserCapturer | IsolatedCapturer = (
        BrowserCapturer(chromium, SystemClock(), allow_loopback_for_tests=True)
        if args.in_process
        else IsolatedCapturer(
            chromium, SystemClock(), capture_user(""), allow_loopback_for_tests=True
        )
    )
    sampler, stop = Sampler(), asyncio.Event()
    sampling = asyncio.create_task(sampler.run(stop))
    seconds, sizes = [], {}
    try:
        for _ in range(args.captures):
            started = time.monotonic()
            capture = await capturer.capture(url)
            seconds.append(time.monotonic() - started)
            if capture.failure:
                print(f"capture failed: {capture.failure}", file=sys.stderr)
                return 2
            sizes = {"png": len(capture.png), "pdf": len(capture.pdf), "warc": len(capture.warc)}
    finally:
        stop.set()
        await sampling
        await capturer.close()
        await runner.cleanup()
    later = sorted(seconds[1:]) or seconds
    figures = {
        "chromium": str(chromium),
        "capturer": type(capturer).__name__,
        "captures": len(seconds),
        "first_capture_s": round(seconds[0], 2),
        "later_capture_median_s": round(later[len(later) // 2], 2),
        "later_capture_max_s": round(max(later), 2),
        "peak_rss_sum_below_bot_mib": round(sampler.peak_total_kib / 1024, 1),
        "peak_pss_below_bot_mib": round(sampler.peak_pss_kib / 1024, 1),
        "browser_processes": len(sampler.browser_hwm_kib),
        "largest_browser_process_hwm_mib": round(max(sampler.browser_hwm_kib.values()) / 1024, 1),
        "driver_hwm_mib": round(sum(sampler.driver_hwm_kib.values()) / 1024, 1),
        "helper_hwm_mib": round(sum(sampler.helper_hwm_kib.values()) / 1024, 1),
        "bot_process_hwm_mib": round(_kib(_status(os.getpid()).get("VmHWM")) / 1024, 1),
        "file_bytes": sizes,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:34} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
