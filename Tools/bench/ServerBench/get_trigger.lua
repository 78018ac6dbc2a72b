-- wrk script: the original API's GET /trigger with a JSON body (as the original's agents send it).
wrk.method = "GET"
wrk.body = '{"secret": "' .. os.getenv("BENCH_SECRET") .. '", "trigger": "bench"}'
wrk.headers["Content-Type"] = "application/json"
