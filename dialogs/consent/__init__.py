"""Consent before publishing (R9, R10): the check, the consent register and the post's address.

    samtycke --> form (channel, identifiable?, use, people, consent per person or from the
    register) --> [signed forms in the chat, one per written consent to upload] --> publish
    (consents recorded, post address asked) | stop (what is missing)

A check that publishes links every consent it relies on (consent_check_consents), so that a
withdrawal later finds the post (dialogs/withdrawal.py). A withdrawn consent is never used again.

check.py: the form and the decision (publish or stop). form_data.py: what the form's card data
holds. posts.py: the post's address after publishing, and its reminder. register.py: the
consent register and its CSV. forms_dialog.py: the signed forms in the chat. wiring.py: the
verbs, commands and sweep.
"""
