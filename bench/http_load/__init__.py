"""`make bench-http`: the project against a thin service of the same stack, over HTTP with wrk."""
