"""`kanalkollen files copy --from local --to azure-blob [--dry-run]`: moves a deployment's files.

Every file keeps its key (the database refers to the keys), its content type and its SHA-256:
each file is streamed from one store to the other and its checksum computed on the way; a
file whose bytes are not its recorded SHA-256 is not stored and is reported. The command can be
run again: files already in the target with the same checksum are counted, not copied. It
refuses to copy anything when the target holds a different file under one of the keys.

Exit codes: 0 all copied (or nothing to do), 1 some files failed (run it again), 2 the
settings do not name the stores, 3 refused (other content under the same keys).
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, replace
from typing import TextIO

from bot.assembly import file_store_for
from bot.settings import FILE_STORES, Settings
from storage.files import ChecksumMismatch, FileStore, FileStoreUnavailable, NoSuchFile

EXIT_FAILED, EXIT_SETTINGS, EXIT_REFUSED = 1, 2, 3


@dataclass
class CopyReport:
    """What a copy found and did."""

    copied: int = 0
    copied_bytes: int = 0
    already_there: int = 0
    failed: int = 0


async def files_copy(
    settings: Settings, source: str, target: str, *, dry_run: bool, out: TextIO = sys.stdout
) -> int:
    """Copies every file of the `source` store to the `target` store; prints the counts."""
    if source == target or source not in FILE_STORES or target not in FILE_STORES:
        print("kanalkollen: files copy needs two different stores: local, azure-blob", file=out)
        return EXIT_SETTINGS
    if "azure-blob" in (source, target) and not (
        settings.azure_storage_connection_string or settings.azure_storage_account_url
    ):
        print(
            "kanalkollen: set AZURE_STORAGE_ACCOUNT_URL or AZURE_STORAGE_CONNECTION_STRING "
            "(and AZURE_STORAGE_CONTAINER) for the azure-blob store",
            file=out,
        )
        return EXIT_SETTINGS
    origin = file_store_for(replace(settings, file_store=source))
    destination = file_store_for(replace(settings, file_store=target))
    try:
        return await _copy(origin, destination, source, target, dry_run=dry_run, out=out)
    except FileStoreUnavailable as error:
        print(f"kanalkollen: {error}; nothing more was copied, run it again", file=out)
        return EXIT_FAILED
    finally:
        await origin.close()
        await destination.close()


async def _copy(
    origin: FileStore,
    destination: FileStore,
    source: str,
    target: str,
    *,
    dry_run: bool,
    out: TextIO,
) -> int:
    report = CopyReport()
    to_copy = []
    conflicts = []
    # First every key is compared, so that a refusal copies nothing.
    for key in sorted([key async for key in origin.list_keys()]):
        mine = await origin.stat(key)
        if mine is None:  # deleted meanwhile
            continue
        theirs = await destination.stat(key)
        if theirs is None:
            to_copy.append(mine)
        elif (theirs.sha256, theirs.size) == (mine.sha256, mine.size):
            report.already_there += 1
        else:
            conflicts.append(key)
    if conflicts:
        print(
            f"kanalkollen: refused: the {target} store holds other content under "
            f"{len(conflicts)} of the keys, e.g. {conflicts[0]}; nothing was copied",
            file=out,
        )
        return EXIT_REFUSED
    if dry_run:
        size = sum(stored.size for stored in to_copy)
        print(
            f"would copy {len(to_copy)} file(s) ({size} bytes) from {source} to {target}; "
            f"{report.already_there} already there",
            file=out,
        )
        return 0
    for stored in to_copy:
        try:
            opened = await origin.open_stream(stored.key)
            async with contextlib.aclosing(opened.chunks) as chunks:
                await destination.put_at(
                    stored.key, chunks, content_type=stored.content_type, sha256=stored.sha256
                )
        except NoSuchFile:
            continue  # deleted meanwhile: nothing to move
        except ChecksumMismatch:
            report.failed += 1
            print(f"not copied: {stored.key}: its bytes do not match its SHA-256", file=out)
            continue
        except FileExistsError:  # stored meanwhile (another copy running): compare again
            theirs = await destination.stat(stored.key)
            if theirs is not None and theirs.sha256 == stored.sha256:
                report.already_there += 1
            else:
                report.failed += 1
                print(f"not copied: {stored.key}: the target holds other content", file=out)
            continue
        report.copied += 1
        report.copied_bytes += stored.size
    print(
        f"copied {report.copied} file(s) ({report.copied_bytes} bytes) from {source} to "
        f"{target}; {report.already_there} already there; {report.failed} failed",
        file=out,
    )
    return EXIT_FAILED if report.failed else 0
