"""HaloRuns: one service over two API generations (the ``/content/`` feeds and the 2019 query API)."""
