-- wrk script: the original API's POST /trigger (a durable increment per request).
wrk.method = "POST"
wrk.body = '{"secret": "' .. os.getenv("BENCH_SECRET") .. '", "trigger": "bench"}'
wrk.headers["Content-Type"] = "application/json"
