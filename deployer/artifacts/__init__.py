"""The local stage of ``package``: deterministic zips and template rewriting. No AWS calls."""
