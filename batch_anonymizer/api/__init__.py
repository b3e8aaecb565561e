"""Stage 3, the API: endpoint, credentials, HTTP, answer classification, rate limit, worker pool."""
