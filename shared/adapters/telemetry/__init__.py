"""OpenTelemetry for every service: configured once per process (setup), trace context carried in Kafka headers
(spans), the operators' metrics (metrics, lag), and log lines that carry the trace id (logs)."""
