"""The benchmarks' own tests (the runner, the load test's machinery): run by `make test` (pytest.ini testpaths), kept
out of tests/ so that the product's tests never import bench."""
