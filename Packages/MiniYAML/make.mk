# MiniYAML: libFuzzer target over the parser and decoder (Packages/MiniYAML/Fuzz).
FUZZ_YAML_SECONDS ?= 600
FUZZ_YAML_OUT := fuzz-out/yaml

.PHONY: fuzz-yaml fuzz-yaml-build

fuzz-yaml-build: ## build the MiniYAML libFuzzer binary into fuzz-out/yaml/
	@mkdir -p $(FUZZ_YAML_OUT)
	swiftc -sanitize=fuzzer,address -use-ld=lld -parse-as-library -O -g -module-name MiniYAMLFuzz \
		Packages/MiniYAML/Sources/MiniYAML/*.swift Packages/MiniYAML/Fuzz/FuzzYAML.swift \
		-o $(FUZZ_YAML_OUT)/fuzz-yaml

fuzz-yaml: fuzz-yaml-build ## fuzz the MiniYAML parser for 10 minutes (FUZZ_YAML_SECONDS), seeded by yaml-test-suite
	@mkdir -p $(FUZZ_YAML_OUT)/corpus $(FUZZ_YAML_OUT)/seeds
	@if [ -d ../shared/corpus/yaml-test-suite/cases ]; then \
		for f in ../shared/corpus/yaml-test-suite/cases/*/in.yaml; do \
			cp "$$f" "$(FUZZ_YAML_OUT)/seeds/$$(basename $$(dirname $$f)).yaml"; done; fi
	cd $(FUZZ_YAML_OUT) && ./fuzz-yaml -max_total_time=$(FUZZ_YAML_SECONDS) -timeout=10 -rss_limit_mb=2048 \
		-max_len=4096 -print_final_stats=1 -dict=../../Packages/MiniYAML/Fuzz/yaml.dict corpus seeds
