"""Sample cards of dialogs/consent.py's flow (see tests/cards/samples.py)."""

from __future__ import annotations

from cards.consent import (
    MAX_ROWS,
    ConsentFormView,
    ConsentOutcomeView,
    ConsentRegisterView,
    MissingLine,
    Option,
    PersonRowValues,
    RegisterLine,
    consent_form_card,
    consent_outcome_card,
    consent_register_card,
)
from cards.i18n import Texts
from tests.cards.samples import CardBuilder

_TEMPLATE = "https://intranat.stad.example/mallar/samtyckesavtal.docx"
_ROW = PersonRowValues(
    name="Elev 7B:3 " + "x" * 190,
    minor=True,
    guardian="Vårdnadshavare " + "y" * 185,
    form="written",
    filed="Diarienummer 2026/123, pärm Samtycken " + "z" * 260,
)


def _form(texts: Texts, *, rows: int = 1, errors: bool = False) -> ConsentFormView:
    return ConsentFormView(
        channels=tuple(Option(str(i), f"Fritidsgården Ugglan {i}") for i in range(1, 6)),
        channel_id="1",
        identifiable="yes",
        use="several_contexts",
        people="3",
        rows=tuple(_ROW for _ in range(rows)),
        reusable=tuple(
            Option(str(i), f"Elev {i} (Fritidsgården Ugglan, 3 mars 2026)") for i in range(30)
        ),
        reuse="1,2",
        template_url=_TEMPLATE,
        errors={"p0_name": texts("consent.name_required"), "use": texts("consent.choose")}
        if errors
        else {},
        notice=texts("consent.fix_errors") if errors else None,
    )


def _outcome(texts: Texts, **overrides: object) -> ConsentOutcomeView:
    view = ConsentOutcomeView(
        check_id=17,
        channel_name="Fritidsgården Ugglan",
        publish=False,
        missing=tuple(
            MissingLine(texts("consent.missing_guardian", name=f"Elev {i}")) for i in range(10)
        ),
        template_url=_TEMPLATE,
    )
    return ConsentOutcomeView(**{**view.__dict__, **overrides})  # type: ignore[arg-type]


def _register(texts: Texts) -> ConsentRegisterView:
    facts = tuple((texts("consents.subject"), "Elev 7B:3") for _ in range(9))
    return ConsentRegisterView(
        lines=tuple(
            RegisterLine(f"Elev {i}", "Fritidsgården Ugglan", facts, withdrawn=i % 3 == 0)
            for i in range(20)
        ),
        more=140,
        export_url="https://kanalkollen.example.se/files/consent-register/x/Samtyckesregister.csv?expires=1&sig=abc",
    )


SAMPLES: list[tuple[str, CardBuilder]] = [
    ("consent_form", lambda texts: consent_form_card(_form(texts), texts)),
    (
        "consent_form_full_with_errors",
        lambda texts: consent_form_card(_form(texts, rows=MAX_ROWS, errors=True), texts),
    ),
    ("consent_stop", lambda texts: consent_outcome_card(_outcome(texts), texts)),
    (
        "consent_publish_asks_post",
        lambda texts: consent_outcome_card(
            _outcome(
                texts,
                publish=True,
                missing=(),
                covered=("Elev 7B:3", "Elev 7B:4"),
                ask_post=True,
                post_error=texts("form.errors.not_an_https_address"),
                post_value="instagram",
            ),
            texts,
        ),
    ),
    (
        "consent_post_recorded",
        lambda texts: consent_outcome_card(
            _outcome(
                texts,
                publish=True,
                missing=(),
                post_address="https://www.instagram.com/p/C0nsent1/",
                notice=texts("consent.post_saved"),
            ),
            texts,
        ),
    ),
    ("consent_register", lambda texts: consent_register_card(_register(texts), texts)),
    (
        "consent_register_empty",
        lambda texts: consent_register_card(ConsentRegisterView(lines=()), texts),
    ),
]
