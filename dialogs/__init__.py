"""The flows: one module (or package) per feature, with its dialog, its use of the cards and
storage, and its own wiring (`build(wiring) -> Flows`: verbs, commands, sweeps).

May import: cards, storage, domain and the Agents SDK's dialogs. Never bot/.
dialogs/flows.py lists every feature; dialogs/wiring.py is the contract with the edge.
"""
