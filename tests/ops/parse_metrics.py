#!/usr/bin/python3
"""Parses metrics text from stdin with Debian's python3-prometheus-client, as a scraper would.

usage: parse_metrics.py openmetrics|prometheus
Prints one line per family ("name type samples") and exits 0, or prints the parser's complaint and exits 1.
"""
import sys

try:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
    from prometheus_client.parser import text_string_to_metric_families as parse_prometheus
except ImportError as error:
    sys.exit(f"parse_metrics.py: {error}: install python3-prometheus-client (scripts/bootstrap)")

parse = parse_openmetrics if sys.argv[1:] == ["openmetrics"] else parse_prometheus
try:
    for family in parse(sys.stdin.read()):
        print(family.name, family.type, len(family.samples))
except Exception as error:  # the parsers raise ValueError and others; any of them is a rejection
    sys.exit(f"parse_metrics.py: rejected: {error}")
