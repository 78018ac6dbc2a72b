# prostagma-agent: targets beside the root Makefile's `agent` (release build into dist/).

agent-static: ## release-build prostagma-agent as `make release` does (Tools/release/make.mk), stripped, into dist/
	@mkdir -p dist
	$(RELEASE_AGENT) --product prostagma-agent
	cp "$$($(RELEASE_AGENT) --show-bin-path)/prostagma-agent" dist/
	strip dist/prostagma-agent

bench-agent: ## measure prostagma-agent's stripped size and idle memory/CPU (docs/benchmarks.md, section agent)
	bash Tools/bench/bench-agent.sh
