"""Benchmarks: ``xunfang bench network`` (and later ``bench service``, ``bench planning``)."""
