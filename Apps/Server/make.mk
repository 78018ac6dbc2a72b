.PHONY: bench-server test-server

test-server: ## run prostagma-server's tests (Apps/Server)
	swift build --package-path Apps/Server --product prostagma-server
	swift test --package-path Apps/Server

bench-server: ## benchmark prostagma-server (wrk, durable increments, long-poll wake-up) into docs/benchmarks.md
	bash Tools/bench/bench-server.sh
