# prostagma-agent: targets beside the root Makefile's `agent` (release build into dist/).

agent-static: ## release-build prostagma-agent with the Swift runtime linked in, stripped, into dist/
	@mkdir -p dist
	swift build --package-path Apps/Agent --scratch-path Apps/Agent/.build-agent-static -c release --static-swift-stdlib -Xswiftc -Osize -Xlinker --no-export-dynamic --product prostagma-agent
	cp "$$(swift build --package-path Apps/Agent --scratch-path Apps/Agent/.build-agent-static -c release --static-swift-stdlib -Xswiftc -Osize -Xlinker --no-export-dynamic --show-bin-path)/prostagma-agent" dist/
	strip dist/prostagma-agent

bench-agent: ## measure prostagma-agent's stripped size and idle memory/CPU (docs/benchmarks.md, section agent)
	bash Tools/bench/bench-agent.sh
