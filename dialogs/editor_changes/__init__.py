"""Editor changes (R3) and changes of the registered facts (R8).

    redaktörer --> the channel's editors --> add (invited by card) / remove (refused below the
    minimum unless a replacement is named; then under-staffed until the replacement accepts)
    --> address or responsible manager changed: a change notice to the registry mailbox (R8)

When delivery to an editor fails for good (403 / user not found), or the directory reports the
account disabled, the channel's manager is asked to name a replacement.

roster.py: a channel's editors as the manager sees them, and the staffing rule (R3).
changes.py: adding and removing editors. facts.py: the address and the responsible manager
(R8 change notice). reachability.py: editors Teams or the directory cannot reach, and their
replacement. wiring.py: the verbs, the command and the sweep.
"""
