"""The synthetic B2B revenue world: `generate(seed, people, out_dir)` and `advance(dataset_dir, days)`."""

from .generator import advance, generate
from .mess import PROFILES, MessRates, rates_for

__all__ = ["generate", "advance", "PROFILES", "MessRates", "rates_for"]
