"""Compatibility: summariser baselines registered before the package layout moved pickled this module path
(``accord.baselines.Lead1Summariser``); they keep loading from here. New code imports ``accord.summarise.baselines``.
"""

from accord.summarise.baselines import Lead1Summariser, TextRankSummariser

__all__ = ["Lead1Summariser", "TextRankSummariser"]
