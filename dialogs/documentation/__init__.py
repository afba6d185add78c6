"""Half-yearly documentation (R12): reminders that arrive by themselves, and the round itself.

    reminder card --"Dokumentera nu"--> the public start page captured by Kanalkollen itself
    (dialogs/capture.py) while files are collected (until "klar") --> which is the start
    page? --> a note? --> round recorded, package to the records officer, next due date set,
    every editor's reminder card shows "done by ...", later reminders of the round cancelled

```mermaid
flowchart LR
  R[reminder card] -->|Dokumentera nu| F[files in the chat]
  R -.->|capture queued| C[capture shown in the chat]
  C -.-> F
  F -->|klar| S[start page]
  S --> N[note]
  N --> D[round recorded, package, next due]
```

reminder_cards.py: the reminder card an editor gets and that the round updates. reminders.py:
the sweep that reminds and escalates. round.py: the round's completion (package, next due
date). dialog.py: the files, the start page and the note in the chat. wiring.py: the verb,
the command and the sweep.
"""
