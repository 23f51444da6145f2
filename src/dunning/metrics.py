"""Collection metrics: DSO, CEI, ageing, collection rate, step effectiveness, segments.

The public names of this part of `dunning`; `import dunning` gives the most used of them
at the top level. Everything here is re-exported from its defining module.
"""

from __future__ import annotations

from dunning.core.metrics import *  # noqa: F403  (this namespace is exactly that module's public names)
from dunning.core.metrics import __all__ as __all__  # noqa: PLC0414  (re-exported for type checkers)
