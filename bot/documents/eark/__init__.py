"""E-ARK SIP 2.1.0 packages (Riksarkivet's FGS Paketstruktur 2.0) for the records (R11-R13).

model.py holds what goes in, names.py the file names and types, descriptive.py (Dublin Core),
premis.py and mets.py the metadata, sip.py builds the zip and check.py checks a package the way
an archivist would: every file the METS names is there with its size and SHA-256, nothing else
is, and every METS is valid against the METS schema bundled in schemas/.
"""
