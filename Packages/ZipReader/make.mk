# ZipReader: fuzzing and benchmark targets (included by the root Makefile; paths are from the repo root).
ZIP_FUZZ_DIR := Packages/ZipReader/.build-fuzz
ZIP_FUZZ_SECONDS ?= 600

.PHONY: fuzz-zip fuzz-zip-build bench-zip

fuzz-zip-build: ## build the libFuzzer target for ZipReader's archive parsing into Packages/ZipReader/.build-fuzz
	@mkdir -p $(ZIP_FUZZ_DIR)/corpus
	cd $(ZIP_FUZZ_DIR) && swiftc -O -sanitize=fuzzer,address -parse-as-library -emit-module -emit-object \
		-module-name CZlib -I ../../CZlib/Sources/CZlibSystem ../../CZlib/Sources/CZlib/*.swift
	cd $(ZIP_FUZZ_DIR) && swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name ZipReader \
		-I . -I ../../CZlib/Sources/CZlibSystem ../Sources/ZipReader/*.swift ../Fuzz/FuzzArchive.swift \
		CRC32.o DeflateStream.o InflateStream.o ZlibError.o ZlibFormat.o -lz -o fuzz-zip

fuzz-zip: fuzz-zip-build ## fuzz ZipReader's parser with libFuzzer for ZIP_FUZZ_SECONDS (default 600), seeded from the corpus
	@cp -n ../shared/corpus/zip/go-testdata/*.zip ../shared/corpus/zip/go-testdata/derived/*.zip $(ZIP_FUZZ_DIR)/corpus/ 2>/dev/null || true
	@rm -f $(ZIP_FUZZ_DIR)/corpus/derived-big.zip
	cd $(ZIP_FUZZ_DIR) && ./fuzz-zip -max_total_time=$(ZIP_FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 corpus

bench-zip: ## extraction time of ZipReader vs Info-ZIP unzip (~200 MB archives) and peak RSS for a 1 GB entry
	bash Tools/bench/bench-zip.sh
