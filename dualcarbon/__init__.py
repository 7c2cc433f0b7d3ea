"""dualcarbon: the command and the stages it chains (the top layer).

``dualcarbon.cli`` parses the command line; ``dualcarbon.pipeline`` runs the stages (sample, ingest,
build, check, replicate, report) and times them; ``dualcarbon.dbt`` runs dbt from the repository root.
This package imports the layers below it (``ingestion``, ``expectations``, ``analysis``); none of
them imports it.
"""
