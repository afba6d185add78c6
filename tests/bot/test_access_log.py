"""No log line of a running bot holds a file link's signature (`sig=`), access log included.

`kanalkollen serve` runs as `make run` starts it, with LOG_LEVEL=DEBUG so that every logger
writes; a stored file is downloaded through its signed link, a wrong signature is refused, and
a page is asked for with a file link as its Referer. Then every line the process wrote is read.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path

import aiohttp

from bot.web.file_links import FileLinkSigner
from domain.clock import SystemClock
from storage.files import LocalFileStore
from tests.bot.test_serve import _free_port, _wait_healthy
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import make_message, make_user

SIGNING_KEY = "synthetic-signing-key-" + "k" * 20
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


async def test_no_log_line_ever_holds_a_link_signature(
    emulator: ConnectorEmulator, tmp_path: Path
) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    stored = await LocalFileStore(tmp_path / "var" / "files").put(
        PDF, kind="plans", filename="Plan.pdf", content_type="application/pdf"
    )
    signer = FileLinkSigner(SIGNING_KEY.encode(), SystemClock())
    link = signer.url_for(url, stored.key, timedelta(days=30))
    signature = link.partition("sig=")[2]
    log_file = (tmp_path / "serve.log").open("wb")  # a file: DEBUG lines would fill a pipe
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli.main",
        "serve",
        env={
            "PATH": os.environ.get("PATH", ""),
            "PORT": str(port),
            "FILES_SIGNING_KEY": SIGNING_KEY,
            "LOG_LEVEL": "DEBUG",
        },
        cwd=tmp_path,
        stdout=log_file,
        stderr=log_file,
    )
    try:
        await _wait_healthy(url, process)
        async with aiohttp.ClientSession() as session:
            async with session.get(link) as response:
                assert response.status == 200
                assert await response.read() == PDF
            async with session.get(link.replace("sig=", "sig=x")) as response:
                assert response.status == 403
            async with session.get(f"{url}/healthz", headers={"Referer": link}) as response:
                assert response.status == 200
            # The consent register's CSV link is signed the same way (issue 24.11).
            register = f"{url}/consent-register/1/sv.csv?exp=9999999999&sig=registersig"
            async with session.get(register) as response:
                assert response.status in (403, 404)
            activity = make_message("hjälp", user=make_user(1), service_url=emulator.service_url)
            async with session.post(f"{url}/api/messages", json=activity) as response:
                assert response.status == 200
        await emulator.wait_for_count(1)
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=20)
        log_file.close()
    lines = (tmp_path / "serve.log").read_text().splitlines()

    assert any(f"GET /files/{stored.key}" in line for line in lines)  # the access log ran
    assert any("GET /consent-register/1/sv.csv " in line for line in lines)
    assert [line for line in lines if "sig=" in line or signature in line] == []
