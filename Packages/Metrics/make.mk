bench-metrics: ## time PrometheusMetrics render() of 1,000/10,000 series vs Python prometheus_client
	@bash Tools/bench/bench-metrics.sh
