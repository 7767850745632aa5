"""The governance loop (issue 13): what the requests say beyond the scorecard.

One module per concept, all on the mergeable counts of :mod:`jiesu.analysis.cube`:
``candidates`` (每月一题 candidates), ``tracking`` (the registered problems month by month),
``warn`` with ``detector`` (未诉先办 early warning), ``trend`` (the rank history) and ``disputes``
(objections and exclusions). The library face is ``jiesu.topic_candidates``, ``jiesu.track_topics``,
``jiesu.warn``, ``jiesu.trend`` and ``jiesu.disputes``.
"""
