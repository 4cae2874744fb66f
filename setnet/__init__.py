"""Shared pieces every stage imports: settings (`setnet.settings`) and the warehouse (`setnet.warehouse`)."""
