bench-cache: ## ArtifactCache ingest/read-back MB/s vs gzip -1 and cp; rewrites the cache section of docs/benchmarks.md
	bash Tools/bench/bench-cache.sh

test-cache: ## run the ArtifactCache tests (including the SIGKILL crash tests)
	swift test --package-path Packages/ArtifactCache
