"""The proxy side: one HTTP client, and what it polls (health, metrics, spend) plus budgets.

`poll_once` is the entry point: one round of requests, returned as a `ProxySnapshot`.
"""
