httpcore-test: ## run the HTTPCore tests (router without socket, real sockets, client)
	swift test --package-path Packages/HTTPCore

bench-http: ## wrk: HTTPCore vs Hummingbird on a plain and a JSON route (release builds)
	bash Tools/bench/bench-http.sh

bench-longpoll: ## 10,000 long polls against an HTTPCore demo server: RSS and time to answer all
	bash Tools/bench/bench-longpoll.sh
