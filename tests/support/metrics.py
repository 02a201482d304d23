"""Reading a Prometheus text exposition in tests: the sum of a metric's samples matching some labels."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def sample_sum(exposition: str, sample_name: str, **labels: str) -> float:
    """The sum over samples named `sample_name` whose labels include `labels` (0.0 when none)."""
    total = 0.0
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == sample_name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total
