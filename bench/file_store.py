"""The file stores side by side: the local folder and Azure Blob Storage (Azurite on loopback).

    .venv/bin/python -m bench.file_store                 # 1 MB and 10 MB, 40 and 15 rounds
    .venv/bin/python -m bench.file_store --rounds 100    # more rounds of each size
    .venv/bin/python -m bench.file_store --json

For each store and size: the time of a `put` and of a whole `open_stream` read (p50, p95).
Then, in a fresh process per store, a 200 MB package is stored with `put_stream` and
downloaded through the bot's own `GET /files/` route (streamed by the store, signed link), and
the process's peak resident memory (VmHWM) is read: at start, after the upload and after the
download (the peak is reset in between, /proc/self/clear_refs). Streaming holds at most a few
blocks, so the peaks stay far below 200 MB.

Needs Azurite (`make azurite`); run from the repository root (it imports `tests.support`), on
Linux (it reads /proc). Azurite keeps blobs in memory: its own memory is not counted here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench.common import environment, percentile, positive
from bot.web.file_links import FileLinkSigner, files_routes
from domain.clock import SystemClock
from storage.file_store_azure import AzureBlobFileStore
from storage.files import FileStore, LocalFileStore
from tests.support.azurite import azurite_missing, running_azurite

MB = 1024 * 1024
PACKAGE_MB = 200


def store_for(kind: str, where: str) -> FileStore:
    if kind == "local":
        return LocalFileStore(Path(where))
    return AzureBlobFileStore.connect(container="bench", connection_string=where)


async def timings(store: FileStore, size: int, rounds: int) -> dict[str, list[float]]:
    data = os.urandom(size)
    puts, gets = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        stored = await store.put(data, kind="bench", filename="file.bin", content_type="a/b")
        puts.append(time.perf_counter() - started)
        started = time.perf_counter()
        opened = await store.open_stream(stored.key)
        async with contextlib.aclosing(opened.chunks) as chunks:
            async for _chunk in chunks:
                pass
        gets.append(time.perf_counter() - started)
        await store.delete(stored.key)
    return {"put": sorted(puts), "get": sorted(gets)}


def vm(field: str) -> int:
    """A /proc/self/status figure in KiB (VmRSS, VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


def reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


async def package_chunks(total: int) -> AsyncIterator[bytes]:
    piece = os.urandom(MB)
    for _ in range(total // MB):
        yield piece


async def stream_package(kind: str, where: str) -> dict[str, Any]:
    """The child process: store a 200 MB package and download it through /files/."""
    store = store_for(kind, where)
    figures: dict[str, Any] = {"start_rss_mib": vm("VmRSS") / 1024}
    reset_peak()
    started = time.perf_counter()
    stored = await store.put_stream(
        package_chunks(PACKAGE_MB * MB),
        kind="packages",
        filename="paket.zip",
        content_type="application/zip",
    )
    figures["upload_seconds"] = time.perf_counter() - started
    figures["upload_peak_mib"] = vm("VmHWM") / 1024
    signer = FileLinkSigner(b"b" * 32, SystemClock())
    app = web.Application()
    app.add_routes(files_routes(store, signer))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = signer.url_for(f"http://127.0.0.1:{port}", stored.key, timedelta(minutes=10))
    reset_peak()
    digest = hashlib.sha256()
    started = time.perf_counter()
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        async for chunk in response.content.iter_chunked(256 * 1024):
            digest.update(chunk)
    figures["download_seconds"] = time.perf_counter() - started
    figures["download_peak_mib"] = vm("VmHWM") / 1024
    figures["intact"] = digest.hexdigest() == stored.sha256
    await runner.cleanup()
    await store.delete(stored.key)
    await store.close()
    return figures


def child(kind: str, where: str) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, "-m", "bench.file_store", "--child", kind, where],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


async def measure(rounds: int) -> dict[str, Any]:
    results: dict[str, Any] = {"environment": environment(), "timings": {}, "package": {}}
    with tempfile.TemporaryDirectory() as folder, running_azurite(Path(folder)) as azurite:
        places = {"local": str(Path(folder) / "files"), "azure-blob": azurite.connection_string}
        for kind, where in places.items():
            store = store_for(kind, where)
            for size_mb, count in ((1, rounds), (10, max(5, rounds * 3 // 8))):
                times = await timings(store, size_mb * MB, count)
                results["timings"][f"{kind} {size_mb} MB"] = {
                    name: {
                        "rounds": len(values),
                        "p50_ms": round(percentile(values, 50) * 1000, 1),
                        "p95_ms": round(percentile(values, 95) * 1000, 1),
                    }
                    for name, values in times.items()
                }
            await store.close()
            results["package"][kind] = {
                k: round(v, 1) if isinstance(v, float) else v
                for k, v in child(kind, where).items()
            }
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=positive, default=40, help="1 MB rounds (10 MB: 3/8)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("STORE", "WHERE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(stream_package(*args.child))))
        return 0
    missing = azurite_missing()
    if missing:
        print(f"bench.file_store: {missing}", file=sys.stderr)
        return 2
    results = asyncio.run(measure(args.rounds))
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'store, size':<22}{'put p50':>10}{'put p95':>10}{'get p50':>10}{'get p95':>10}  (ms)")
    for name, figures in results["timings"].items():
        put, get = figures["put"], figures["get"]
        print(
            f"{name:<22}{put['p50_ms']:>10}{put['p95_ms']:>10}{get['p50_ms']:>10}"
            f"{get['p95_ms']:>10}  ({put['rounds']} rounds)"
        )
    print(
        f"\n{PACKAGE_MB} MB package, put_stream then GET /files/ (peak RSS of the process, MiB):"
    )
    for kind, figures in results["package"].items():
        print(
            f"  {kind:<11} start {figures['start_rss_mib']}, upload peak "
            f"{figures['upload_peak_mib']} ({figures['upload_seconds']} s), download peak "
            f"{figures['download_peak_mib']} ({figures['download_seconds']} s), "
            f"intact: {figures['intact']}"
        )
    print(f"\n{json.dumps(results['environment'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
