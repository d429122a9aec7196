"""Expositions of the LiteLLM eras no recorded fixture covers: the 2024 names and the older docs' names."""

ERA_2024 = """\
# HELP litellm_requests_metric_total Total number of LLM calls to litellm
# TYPE litellm_requests_metric_total counter
litellm_requests_metric_total{api_key_alias="None",end_user="None",hashed_api_key="k1",model="gpt-4o-mini",team="None",team_alias="None",user="u"} 7.0
litellm_requests_metric_total{api_key_alias="None",end_user="None",hashed_api_key="k2",model="gpt-4o",team="None",team_alias="None",user="u"} 3.0
litellm_requests_metric_created{api_key_alias="None",end_user="None",hashed_api_key="k1",model="gpt-4o-mini",team="None",team_alias="None",user="u"} 1.72e9
litellm_llm_api_failed_requests_metric_total{api_key_alias="None",end_user="None",hashed_api_key="k1",model="gpt-4o-mini",team="None",team_alias="None",user="u"} 2.0
litellm_spend_metric_total{api_key_alias="None",end_user="None",hashed_api_key="k1",model="gpt-4o-mini",team="None",team_alias="None",user="u"} 0.25
litellm_spend_metric_total{api_key_alias="None",end_user="None",hashed_api_key="k2",model="gpt-4o",team="None",team_alias="None",user="u"} 0.75
litellm_total_tokens_total{api_key_alias="None",end_user="None",hashed_api_key="k1",model="gpt-4o-mini",team="None",team_alias="None",user="u"} 900.0
litellm_request_total_latency_metric_bucket{le="0.5",model="gpt-4o-mini"} 6.0
litellm_request_total_latency_metric_bucket{le="1.0",model="gpt-4o-mini"} 10.0
litellm_request_total_latency_metric_bucket{le="+Inf",model="gpt-4o-mini"} 10.0
"""

DOCS_ERA = """\
# TYPE litellm_requests_total counter
litellm_requests_total{model="cheap"} 40
litellm_requests_total{model="frontier"} 2
litellm_llm_api_failed_requests_total{model="cheap"} 4
litellm_tokens_total{model="cheap",type="input"} 100
litellm_tokens_total{model="cheap",type="output"} 50
litellm_request_duration_seconds_bucket{model="cheap",le="0.1"} 10
litellm_request_duration_seconds_bucket{model="cheap",le="1"} 40
litellm_request_duration_seconds_bucket{model="cheap",le="+Inf"} 42
litellm_request_duration_seconds_sum{model="cheap"} 12.5
"""
