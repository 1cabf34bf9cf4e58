"""insightlib: plain-English insight reports from product numbers and customer words."""

from __future__ import annotations

__version__ = "0.1.0"
