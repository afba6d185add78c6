"""A records package of a large file, built and stored on the local folder and on Azure Blob
Storage (Azurite on loopback): its time and the process's peak memory (issue 28).

    .venv/bin/python -m bench.records_package            # a 200 MB file, both formats
    .venv/bin/python -m bench.records_package --mb 500
    .venv/bin/python -m bench.records_package --json

In a fresh process per store and format ("eark-sip", "zip"): a WARC of incompressible data is
stored with `put_stream`, then `StoredRecords.package` (what the bot runs for R11-R13) fetches
it to a temporary folder, writes the package from it and stores the package with
`put_stream`. The peak resident memory (VmHWM, reset before the package, /proc/self/clear_refs)
is read; the package is then read back and every zip member's CRC checked. Streaming holds a
few chunks at a time, so the peak stays far above nothing and far below the file.

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
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import environment, positive
from bench.file_store import reset_peak, store_for, vm
from bot.documents.chat_records import StoredRecords
from dialogs.services import StoredUpload
from domain.policy import RecordsPolicy
from tests.support.azurite import azurite_missing, running_azurite

MB = 1024 * 1024
FORMATS = ("eark-sip", "zip")


async def warc_chunks(megabytes: int) -> AsyncIterator[bytes]:
    """A WARC's first bytes, then incompressible data, a megabyte at a time."""
    yield b"WARC/1.1\r\nWARC-Type: warcinfo\r\n\r\n"
    for _ in range(megabytes):
        yield os.urandom(MB)


async def build(kind: str, where: str, package_format: str, megabytes: int) -> dict[str, Any]:
    """The child process: store the file, then build and store its package."""
    store = store_for(kind, where)
    stored = await store.put_stream(
        warc_chunks(megabytes),
        kind="documentation",
        filename="capture.warc",
        content_type="application/warc",
    )
    upload = StoredUpload(
        "capture.warc",
        "application/warc",
        stored.key,
        stored.sha256,
        stored.size,
        source_url="https://www.instagram.com/kulturskolan",
        captured_at="2026-09-01T08:10:00+00:00",
        http_status=200,
    )
    figures: dict[str, Any] = {"file_mib": stored.size / MB, "start_rss_mib": vm("VmRSS") / 1024}
    async with aiohttp.ClientSession() as http:
        records = StoredRecords(store, http, max_bytes=stored.size)
        reset_peak()
        started = time.perf_counter()
        key, sha256 = await records.package(
            channel_name="Kulturskolan på Instagram",
            platform="Instagram",
            unit="Kulturskolan",
            due=date(2026, 9, 1),
            completed_by="Redaktör Ett",
            completed_at=datetime(2026, 9, 1, 8, 15, tzinfo=UTC),
            note=None,
            files=[upload],
            start_page=None,
            filename="paket.zip",
            purpose="capture",
            address="https://www.instagram.com/kulturskolan",
            records=RecordsPolicy(package_format=package_format),
        )
        figures["package_seconds"] = time.perf_counter() - started
        figures["package_peak_mib"] = vm("VmHWM") / 1024
    figures["intact"] = await intact(store, key, sha256)
    for victim in (key, stored.key):
        await store.delete(victim)
    await store.close()
    return figures


async def intact(store: Any, key: str, sha256: str) -> bool:
    """The stored package is its SHA-256 and every member its CRC."""
    digest = hashlib.sha256()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "package.zip"
        opened = await store.open_stream(key)
        async with contextlib.aclosing(opened.chunks) as chunks:
            with path.open("wb") as out:
                async for chunk in chunks:
                    digest.update(chunk)
                    out.write(chunk)
        with zipfile.ZipFile(path) as archive:
            whole = archive.testzip() is None
    return whole and digest.hexdigest() == sha256


def child(kind: str, where: str, package_format: str, megabytes: int) -> dict[str, Any]:
    arguments = [kind, where, package_format, str(megabytes)]
    output = subprocess.run(
        [sys.executable, "-m", "bench.records_package", "--child", *arguments],
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    ).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def measure(megabytes: int) -> dict[str, Any]:
    results: dict[str, Any] = {"environment": environment(), "packages": {}}
    with tempfile.TemporaryDirectory() as folder, running_azurite(Path(folder)) as azurite:
        places = {"local": str(Path(folder) / "files"), "azure-blob": azurite.connection_string}
        for kind, where in places.items():
            for package_format in FORMATS:
                figures = child(kind, where, package_format, megabytes)
                results["packages"][f"{kind} {package_format}"] = {
                    k: round(v, 1) if isinstance(v, float) else v for k, v in figures.items()
                }
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=positive, default=200, help="the file's size in MiB")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, where, package_format, megabytes = args.child
        print(json.dumps(asyncio.run(build(kind, where, package_format, int(megabytes)))))
        return 0
    missing = azurite_missing()
    if missing:
        print(f"bench.records_package: {missing}", file=sys.stderr)
        return 2
    results = measure(args.mb)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"A package of one {args.mb} MiB file, built and stored (peak RSS of the process, MiB):")
    for name, figures in results["packages"].items():
        print(
            f"  {name:<20} start {figures['start_rss_mib']}, peak {figures['package_peak_mib']}"
            f" ({figures['package_seconds']} s), intact: {figures['intact']}"
        )
    print(f"\n{json.dumps(results['environment'])}")
    return 0 if all(figures["intact"] for figures in results["packages"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
