"""Closing a channel (R13): only after its content has reached the records officer.

    avsluta kanal --> active → closing (refused while a removal task is open, R11) --> the
    platform's export (uploaded or where it is filed) and final screenshots --> the package to
    the records officer through the outbox --> the manager confirms --> the registry's closing
    notice (R8), closing → closed, reminders stop

checklist.py: the checklist card every step is seen through, its live copies, who may see it.
steps.py: the editors' steps (start, files, submit, cancel). confirmation.py: the manager's
confirmation and its reminder. files_dialog.py: takes the export and the screenshots in the chat.
wiring.py: the verbs, the command and the sweep.
"""
