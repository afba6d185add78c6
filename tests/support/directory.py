"""A directory stub for flows and imports that need one answer, and the import CSV header."""

from __future__ import annotations

from dialogs.services import DirectoryPerson

SWEDISH_HEADER = "Plattform;Namn;Adress;Enhet;Chef;Redaktörer;Startdatum;Senast dokumenterad"


class StubDirectory:
    """Knows the people given to it by e-mail/UPN or id; nobody's manager."""

    def __init__(self, *people: DirectoryPerson) -> None:
        self._known = {p.email: p for p in people if p.email}

    async def manager_of(self, tenant_id: str, aad_object_id: str) -> DirectoryPerson | None:
        """Returns None: no manager lookups here."""
        return None

    async def person(self, tenant_id: str, aad_object_id: str) -> DirectoryPerson | None:
        """Returns the person known by that e-mail/UPN, if any."""
        return self._known.get(aad_object_id)
