"""Experiments: EmoPy's emotion-subset table, classical baselines and ablations, with a report.

Each row of a table trains (or scores) one model in its own folder under the run root and stores
`result.json` there; a finished row is reused, never retrained. `emopy.experiments.report`
renders docs/experiments.md and the confusion-matrix figures from those files.
"""
