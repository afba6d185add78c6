"""Azurite, Microsoft's Azure Storage emulator, on a free loopback port with in-memory storage.

The npm package is pinned in tests/node-azurite (package.json, package-lock.json); install it
with `npm ci --prefix tests/node-azurite` (.ci/run does). Where Node or the package is missing
the tests that need it are skipped with the reason.

The account is Azurite's built-in development account (its name and key are the emulator's
published, public defaults, not a secret of ours).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

NODE_DIR = Path(__file__).resolve().parent.parent / "node-azurite"
AZURITE_BLOB = NODE_DIR / "node_modules" / ".bin" / "azurite-blob"
ACCOUNT = "devstoreaccount1"
# Azurite's published development key (documented by Microsoft for the emulator).
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
_LISTENING = re.compile(rb"listens on http://127\.0\.0\.1:(\d+)")


def azurite_missing() -> str | None:
    """Why Azurite cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "Node.js is not installed: the Azure Blob store tests need Azurite (npm)"
    if not AZURITE_BLOB.exists():
        return (
            "Azurite is not installed: run `npm ci --prefix tests/node-azurite` "
            "(.ci/run does) for the Azure Blob store tests"
        )
    return None


def connection_string(host: str, port: int) -> str:
    """The connection string of Azurite's development account at host:port."""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
        f"BlobEndpoint=http://{host}:{port}/{ACCOUNT};"
    )


@dataclass
class Azurite:
    """A running Azurite blob service."""

    port: int
    process: subprocess.Popen[bytes]

    @property
    def connection_string(self) -> str:
        return connection_string("127.0.0.1", self.port)


@contextlib.contextmanager
def running_azurite(workspace: Path) -> Iterator[Azurite]:
    """Starts Azurite's blob service on a free loopback port and stops it afterwards."""
    process = subprocess.Popen(
        [
            str(AZURITE_BLOB),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            "0",
            "--inMemoryPersistence",
            "--skipApiVersionCheck",
            "--loose",
            "--disableProductStyleUrl",
        ],
        cwd=workspace,  # its debug and extent files, if any, stay in the test's folder
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    try:
        port, said = None, b""
        while port is None:  # Azurite prints its port once it listens, or exits
            line = process.stdout.readline()
            said += line
            if not line:
                process.stdout.close()
                raise RuntimeError(f"Azurite stopped before it listened: {said.decode()!r}")
            found = _LISTENING.search(line)
            port = int(found.group(1)) if found else None
        # Its output is read on, so that the pipe never fills.
        threading.Thread(target=_drain, args=(process.stdout,), daemon=True).start()
        yield Azurite(port, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _drain(stream: IO[bytes]) -> None:
    with stream:
        while stream.readline():
            pass
