# System tests (Tests/): the release binaries in dist/ (built by `make server agent` when missing, or taken from
# $PROSTAGMA_BIN_DIR) run as real processes against moto's S3, an HTTP origin, curl and promtool.
.PHONY: system-test

system-test: deps ## run only the system tests (real binaries from dist/, moto S3, HTTP origin); keeps failing scenarios' files in Tests/output/
	swift test --package-path Tests $(if $(FILTER),--filter '$(FILTER)')
