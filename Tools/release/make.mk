# Release artifacts: static-stdlib, stripped binaries in dist/ with SHA256SUMS, from their own build folders
# (.build-static) so a release build neither invalidates nor waits on the debug/release builds in .build.
.PHONY: release

RELEASE_APPS := Server:prostagma-server Agent:prostagma-agent

release: ## build prostagma-server and prostagma-agent as stripped static-stdlib release binaries into dist/ with SHA256SUMS
	@set -euo pipefail; mkdir -p $(DIST); \
	for pair in $(RELEASE_APPS); do \
		app=$${pair%%:*}; product=$${pair##*:}; \
		echo "release: $$product"; \
		swift build --package-path Apps/$$app --scratch-path Apps/$$app/.build-static \
			-c release --static-swift-stdlib --product $$product; \
		bin=$$(swift build --package-path Apps/$$app --scratch-path Apps/$$app/.build-static \
			-c release --static-swift-stdlib --show-bin-path); \
		install -m 0755 "$$bin/$$product" $(DIST)/$$product; \
		strip --strip-all $(DIST)/$$product; \
		for bundle in "$$bin"/*.resources; do \
			[ -d "$$bundle" ] || continue; rm -rf "$(DIST)/$$(basename "$$bundle")"; cp -R "$$bundle" $(DIST)/; \
		done; \
	done; \
	cd $(DIST) && find prostagma-server prostagma-agent $$(ls -d *.resources 2>/dev/null) -type f | LC_ALL=C sort \
		| xargs sha256sum > SHA256SUMS && cat SHA256SUMS && ls -l prostagma-server prostagma-agent
