"""The E-ARK Foundation's validator (eark-validator 1.1.3), run without the network.

On import the validator reads four CSIP vocabularies from the web (eark_validator.ipxml.
schematron). The same files ship inside its package (eark_validator/ipxml/resources/vocabs/);
`offline_validator` maps those four URLs to them while it imports, and refuses any other URL,
so no test touches the network.

"Passes" means no error, except rule SIP14: in 1.1.3 it demands a plain NOTETYPE attribute on
the software agent's note, which the METS schema forbids (the note's type is
csip:NOTETYPE="SOFTWARE VERSION", as CSIP16 requires), so no correctly made SIP passes it.
"""

from __future__ import annotations

import functools
import gc
import io
import urllib.request
import warnings
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any
from unittest import mock

VOCABULARY_URLS = {
    "https://earkcsip.dilcis.eu/schema/CSIPVocabularyContentCategory.xml",
    "https://earkcsip.dilcis.eu/schema/CSIPVocabularyContentInformationType.xml",
    "https://earkcsip.dilcis.eu/schema/CSIPVocabularyOAISPackageType.xml",
    "https://earkcsip.dilcis.eu/schema/CSIPVocabularyStatus.xml",
}
# The one rule a correct SIP cannot pass in eark-validator 1.1.3 (see the module's text).
KNOWN_VALIDATOR_FLAW = "SIP14"


def _shipped_vocabulary(url: Any, *args: Any, **kwargs: Any) -> Any:
    """urlopen for the validator's import: the four vocabularies from its own package."""
    address = url if isinstance(url, str) else url.full_url
    if address not in VOCABULARY_URLS:
        raise AssertionError(f"the validator tried to reach {address}")
    name = address.rsplit("/", 1)[1]
    vocabularies = resources.files("eark_validator").joinpath("ipxml/resources/vocabs")
    return io.BytesIO(vocabularies.joinpath(name).read_bytes())


@functools.cache
def offline_validator() -> Any:
    """eark_validator.packages.PackageValidator, imported with the vocabularies mapped."""
    with mock.patch.object(urllib.request, "urlopen", _shipped_vocabulary):
        from eark_validator.packages import PackageValidator
    return PackageValidator


def validator_errors(
    package: bytes, folder: Path, *, excepted: tuple[str, ...] = (KNOWN_VALIDATOR_FLAW,)
) -> list[str]:
    """Unpacks the zip into `folder` and returns the validator's errors (for specification
    V2.1.0), leaving out the rules `excepted`."""
    from eark_validator.model.validation_report import Severity
    from eark_validator.specifications.specification import SpecificationVersion

    validator = offline_validator()
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        [root] = {name.split("/", 1)[0] for name in archive.namelist()}
        archive.extractall(folder)
    with warnings.catch_warnings():
        # The validator leaves a METS file open (1.1.3); it is closed here, not in a later test.
        warnings.simplefilter("ignore", ResourceWarning)
        report = validator(folder / root, SpecificationVersion.V2_1_0).validation_report
        gc.collect()
    messages = list(report.structure.messages)
    if report.metadata is None:
        messages_text = "; ".join(str(m.message) for m in messages)
        return [f"the package's structure is not well-formed: {messages_text}"]
    messages += report.metadata.schema_results.messages
    messages += report.metadata.schematron_results.messages
    return [
        f"{message.rule_id}: {message.message}"
        for message in messages
        if message.severity == Severity.ERROR and message.rule_id not in excepted
    ]
