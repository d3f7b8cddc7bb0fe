"""The REST API: sign-in, batches and retries, the domain's endpoints and the schema fuzzed."""
