# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: metrics_verdict
short_description: Whether a Prometheus query's answer lets a rollout go on (the metrics gate)
version_added: 0.1.0
description:
  - Reads the registered result of an M(ansible.builtin.uri) call to Prometheus' C(/api/v1/query) and compares every
    value of the answer (an instant vector or a scalar) with the limits.
  - A value above O(max) or below O(min) fails the gate; the message names each series that crossed, with its value.
  - An answer with no value (an empty vector, or NaN, as a ratio over no traffic gives) is judged by O(no_data); a
    Prometheus that could not be asked, or that refused the query, by O(on_error).
options:
  _input:
    description: The registered result of the uri task.
    type: dict
    required: true
  max:
    description: Highest value that passes; empty for no upper limit.
    type: raw
  min:
    description: Lowest value that passes; empty for no lower limit.
    type: raw
  no_data:
    description: C(fail) or C(pass) when the answer holds no value.
    type: str
    default: fail
  on_error:
    description: C(fail) (closed) or C(pass) (open) when Prometheus could not be asked or refused the query.
    type: str
    default: fail
"""

EXAMPLES = r"""
- name: Stop when the error ratio is above 1 %
  ansible.builtin.assert:
    that: (prometheus_answer | gopherops.baremetal.metrics_verdict(0.01)).ok
"""

RETURN = r"""
_value:
  description: C(ok) (whether the gate passes), C(msg) (why), C(values) (each series' labels and value).
  type: dict
"""

import math

from ansible.errors import AnsibleFilterError


def _limit(name, value):
    if value is None or str(value).strip() == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise AnsibleFilterError("rollout_metrics_gate_%s must be a number (got %r)" % (name, value))


def _series(labels):
    labels = dict(labels or {})
    name = labels.pop("__name__", "")
    inner = ",".join('%s="%s"' % (k, labels[k]) for k in sorted(labels))
    return "%s{%s}" % (name, inner) if inner or name else "the result"


def metrics_verdict(result, max=None, min=None, no_data="fail", on_error="fail"):  # pylint: disable=redefined-builtin
    high, low = _limit("max", max), _limit("min", min)
    if high is None and low is None:
        raise AnsibleFilterError("the metrics gate needs rollout_metrics_gate_max or rollout_metrics_gate_min")
    for name, value in (("no_data", no_data), ("on_error", on_error)):
        if value not in ("fail", "pass"):
            raise AnsibleFilterError("rollout_metrics_gate_%s must be 'fail' or 'pass' (got %r)" % (name, value))
    result = result or {}
    body = result.get("json") if isinstance(result.get("json"), dict) else {}
    points, problem = [], None
    if result.get("unreachable") or result.get("failed") or body.get("status") != "success":
        why = body.get("error") or result.get("msg") or "no answer"
        if isinstance(result.get("status"), int) and result["status"] > 0:
            why = "HTTP %s: %s" % (result["status"], why)
        problem = "Prometheus could not be asked (%s)" % str(why).strip()
    else:
        data = body.get("data") or {}
        kind, raw = data.get("resultType"), data.get("result")
        if kind == "scalar":
            points = [({}, raw[1])]
        elif kind == "vector":
            points = [(item.get("metric"), item.get("value", [0, "NaN"])[1]) for item in raw or []]
        else:
            problem = "the query returned a %s; the metrics gate needs an instant vector or a scalar" % kind
    if problem:
        opened = on_error == "pass"
        return {"ok": opened, "values": [],
                "msg": "%s; the gate %s (rollout_metrics_gate_on_error: %s)"
                       % (problem, "lets the batch pass" if opened else "fails closed", on_error)}
    values = []
    for labels, text in points:
        try:
            number = float(text)
        except (TypeError, ValueError):
            number = float("nan")
        if not math.isnan(number):
            values.append({"labels": labels or {}, "value": number})
    if not values:
        opened = no_data == "pass"
        return {"ok": opened, "values": [],
                "msg": "the query returned no value (no series, or NaN as a ratio over no requests gives); the gate %s "
                       "(rollout_metrics_gate_no_data: %s). A query such as (errors or vector(0)) / requests answers 0 "
                       "when there were no errors" % ("lets the batch pass" if opened else "fails", no_data)}
    crossed = [v for v in values if (high is not None and v["value"] > high) or (low is not None and v["value"] < low)]
    limits = " and ".join(x for x in ("at most %g" % high if high is not None else "",
                                      "at least %g" % low if low is not None else "") if x)
    if crossed:
        return {"ok": False, "values": values,
                "msg": "the metrics gate failed: %s (must be %s)"
                       % ("; ".join("%s = %g" % (_series(v["labels"]), v["value"]) for v in crossed), limits)}
    return {"ok": True, "values": values,
            "msg": "the metrics gate passed: %s (must be %s)"
                   % ("; ".join("%s = %g" % (_series(v["labels"]), v["value"]) for v in values), limits)}


class FilterModule(object):
    """Metrics gate filters."""

    def filters(self):
        return {"metrics_verdict": metrics_verdict}
