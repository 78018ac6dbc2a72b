# Release artifacts: static-stdlib, stripped binaries in dist/ with SHA256SUMS. Each app builds in a scratch
# folder of its own, so a release build neither invalidates nor waits on the debug/release builds in .build.
# The agent shares its scratch folder and flags (-Osize) with Apps/Agent/make.mk's agent-static target.
# --no-export-dynamic: SwiftPM exports every symbol of an executable, megabytes of dynamic symbol table that
# strip cannot remove and nothing loads.
# The agent's C code (BoringSSL's C parts, llhttp, NIO's shims) is compiled for size too (-Xcc -Os), as its Swift
# is: 25,268,392 -> 24,854,696 bytes stripped. What the agent runs hot in C is BoringSSL's SHA-256, which is
# assembly (SHA-NI where the CPU has it), and zlib, which is the system's.
# Tools/bench/bench-agent.sh measures the agent built by this same command (print-release-agent).
.PHONY: release print-release-agent

RELEASE_SERVER := swift build --package-path Apps/Server --scratch-path Apps/Server/.build-static -c release \
	--static-swift-stdlib -Xlinker --no-export-dynamic
RELEASE_AGENT := swift build --package-path Apps/Agent --scratch-path Apps/Agent/.build-agent-static -c release \
	--static-swift-stdlib -Xswiftc -Osize -Xcc -Os -Xlinker --no-export-dynamic

print-release-agent: # the agent's release build command, for Tools/bench/bench-agent.sh
	@echo $(RELEASE_AGENT)

release: ## build prostagma-server and prostagma-agent as stripped static-stdlib release binaries into dist/ with SHA256SUMS
	@set -euo pipefail; mkdir -p $(DIST); rm -rf $(DIST)/*.resources; \
	release_one() { \
		local product=$$1; shift; \
		echo "release: $$product"; \
		"$$@" --product $$product; \
		local bin; bin=$$("$$@" --show-bin-path); \
		install -m 0755 "$$bin/$$product" $(DIST)/$$product; \
		strip --strip-all $(DIST)/$$product; \
		for bundle in "$$bin"/*.resources; do \
			[ -d "$$bundle" ] || continue; rm -rf "$(DIST)/$$(basename "$$bundle")"; cp -R "$$bundle" $(DIST)/; \
		done; \
	}; \
	release_one prostagma-server $(RELEASE_SERVER); \
	release_one prostagma-agent $(RELEASE_AGENT); \
	cd $(DIST) && find prostagma-server prostagma-agent $$(ls -d *.resources 2>/dev/null) -type f | LC_ALL=C sort \
		| xargs sha256sum > SHA256SUMS && cat SHA256SUMS && ls -l prostagma-server prostagma-agent
