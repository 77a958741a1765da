"""Real servers and data for the tests, the benchmarks and `make demo`: the vLLM launcher, the tiny model it
serves, the embedding model shipped in a PyPI package, and a fault-injecting proxy.

Development infrastructure, not product code: `tests`, `bench` and `tools` import it, and it imports none of
them (tests/test_layers.py). Nothing in `catalog`, `hooks` or `probes` may import it.
"""
