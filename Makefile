# Prostagma: the front door. `make help` lists every target.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PACKAGES := $(patsubst %/Package.swift,%,$(wildcard Packages/*/Package.swift))
APPS     := Apps/Server Apps/Agent
SWIFT_SOURCES := Package.swift $(wildcard Packages/*/Sources Packages/*/Tests Apps/*/Sources Apps/*/Tests Tools/*/Sources Tests/Support Tests/SystemTests)
DIST     := dist

.PHONY: help deps build test test-packages run server agent bench lint format clean

# Package-specific targets (fuzzing, package benchmarks) live beside their package.
-include $(wildcard Packages/*/make.mk Apps/*/make.mk Tests/make.mk Tools/*/make.mk)

help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

deps: ## install what building and testing need (Debian packages, pip tools); quiet when nothing is missing
	@bash Tools/deps.sh

build: ## debug-build everything, tests included, in one build (the root manifest, Package.swift)
	swift build --build-tests

test: deps ## run every test (packages, apps, system tests) from one build; ends with "N passed, N failed"
	@bash Tools/test-all.sh

test-packages: deps ## run the packages' tests through their own manifests, one by one (ONLY="Packages/X Apps/Y" for some)
	@bash Tools/test-all.sh $(or $(ONLY),$(PACKAGES) $(APPS) Tests)

run: ## build and start prostagma-server on 127.0.0.1:6969 with its default data directory
	swift build --product prostagma-server
	.build/debug/prostagma-server

server: ## release-build prostagma-server into dist/
	@mkdir -p $(DIST)
	swift build --package-path Apps/Server -c release --product prostagma-server
	cp Apps/Server/.build/release/prostagma-server $(DIST)/

agent: ## release-build prostagma-agent into dist/
	@mkdir -p $(DIST)
	swift build --package-path Apps/Agent -c release --product prostagma-agent
	cp Apps/Agent/.build/release/prostagma-agent $(DIST)/

bench: deps ## run every benchmark and rewrite docs/benchmarks.md
	@bash Tools/bench/run-all.sh

lint: ## check formatting with swift-format (the .swift-format at the root)
	swift format lint --strict --recursive --parallel $(SWIFT_SOURCES)

format: ## reformat every Swift source in place
	swift format format --in-place --recursive --parallel $(SWIFT_SOURCES)

clean: ## remove build folders, dist/ and test output
	rm -rf $(DIST) Tests/output .build $(addsuffix /.build,$(PACKAGES) $(APPS) Tests)
