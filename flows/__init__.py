"""Flows: Prefect 3 flows that chain the stages (`flows.pipeline`) and the `setnet` command line (`flows.cli`).

No logic of its own lives here: every step calls a public function of ingest, features, models or reports.
"""
