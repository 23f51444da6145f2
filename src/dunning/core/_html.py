"""Moved to the public `dunning.core.display`: kept for its last two importers.

core/engine.py and core/penalties/compute.py import `html_table` from here until they are
changed to import it from `dunning.core.display`; then this module goes.
"""

from __future__ import annotations

from dunning.core.display import html_table

__all__ = ["html_table"]
