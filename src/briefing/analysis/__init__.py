"""Novelty analysis: what is new in an article compared with what the reader already knows.

`scoring.score_documents` scores texts against a baseline index (what the evaluation measures);
`findings.analyse` turns articles into findings for the brief with the same scoring. This package
module stays empty so that importing `briefing.analysis.params` costs nothing.
"""
