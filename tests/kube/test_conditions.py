"""Condition semantics (kubectl's), --for parsing and JSONPath, without a server."""

from __future__ import annotations

import pytest

from hybridwait import conditions as c
from hybridwait.kube.errors import ConditionError
from hybridwait.kube.jsonpath import compile_jsonpath, go_format, relaxed_jsonpath


def pod(*conds: dict, generation: int | None = None, observed: int | None = None) -> dict:
    obj: dict = {"metadata": {"name": "p", "uid": "u1"}, "status": {"conditions": list(conds)}}
    if generation is not None:
        obj["metadata"]["generation"] = generation
    if observed is not None:
        obj["status"]["observedGeneration"] = observed
    return obj


class TestCondition:
    def test_type_and_status_case_insensitive(self):
        obj = pod({"type": "ready", "status": "TRUE"})
        assert c.condition("Ready")(obj)
        assert c.parse_for("condition=READY=true")(obj)
        assert not c.parse_for("condition=Ready=False")(obj)

    def test_first_match_wins(self):
        obj = pod({"type": "Ready", "status": "False"}, {"type": "Ready", "status": "True"})
        assert not c.condition("Ready")(obj)

    def test_entries_without_status_are_skipped(self):
        obj = pod({"type": "Ready"}, {"type": "Ready", "status": "True"})
        assert c.condition("Ready")(obj)

    def test_missing_conditions_or_object(self):
        assert not c.condition("Ready")({"metadata": {}})
        assert not c.condition("Ready")(None)
        assert not c.condition("Ready")({"status": {"conditions": "garbage"}})

    def test_observed_generation_on_condition_then_status(self):
        stale = {"type": "Available", "status": "True", "observedGeneration": 1}
        assert not c.condition("Available")(pod(stale, generation=2))
        fresh = dict(stale, observedGeneration=2)
        assert c.condition("Available")(pod(fresh, generation=2))
        plain = {"type": "Available", "status": "True"}
        assert not c.condition("Available")(pod(plain, generation=3, observed=2))
        assert c.condition("Available")(pod(plain, generation=3, observed=3))
        assert c.condition("Available")(pod(plain, generation=3))  # nothing observed: no check

    def test_value_after_second_equals(self):
        cond = c.parse_for("condition=Ready=Unknown")
        assert cond(pod({"type": "Ready", "status": "unknown"}))
        assert repr(cond) == "condition=Ready=Unknown"


class TestJSONPath:
    @pytest.mark.parametrize(
        "expr", ["{.status.phase}", ".status.phase", "status.phase", "{status.phase}"]
    )
    def test_relaxed_forms(self, expr):
        assert relaxed_jsonpath(expr) == "{.status.phase}"
        assert c.jsonpath(expr, "Running")({"status": {"phase": "Running"}})

    def test_filter_index_wildcard_recursive(self):
        obj = pod({"type": "Ready", "status": "True"}, {"type": "Init", "status": "False"})
        assert c.parse_for('jsonpath={.status.conditions[?(@.type=="Ready")].status}=True')(obj)
        assert c.parse_for("jsonpath={.status.conditions[1].type}=Init")(obj)
        assert compile_jsonpath("{.status.conditions[*].type}").find(obj) == ["Ready", "Init"]
        assert compile_jsonpath("{..type}").find(obj) == ["Ready", "Init"]
        labels = {"metadata": {"labels": {"app.kubernetes.io/name": "web"}}}
        assert c.jsonpath("{.metadata.labels['app.kubernetes.io/name']}", "web")(labels)

    def test_missing_path_is_not_yet(self):
        assert not c.jsonpath("{.status.readyReplicas}", "3")({"status": {}})
        assert not c.jsonpath("{.status.loadBalancer.ingress}")({"status": {}})
        assert not c.jsonpath("{.status.phase}", "Running")(None)

    def test_existence_accepts_objects_and_lists(self):
        assert c.jsonpath("{.status.loadBalancer.ingress}")(
            {"status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}}
        )

    def test_values_compared_as_go_formatted_trimmed_text(self):
        assert c.parse_for("jsonpath={.status.readyReplicas}=3")({"status": {"readyReplicas": 3}})
        assert c.parse_for("jsonpath={.spec.paused}=true")({"spec": {"paused": True}})
        assert c.jsonpath("{.a}", 2)({"a": 2.0})
        assert c.jsonpath("{.a}", " x ")({"a": "x"})
        assert c.parse_for("jsonpath={.a}='x'")({"a": "x"})  # quotes trimmed like kubectl
        assert go_format(None) == "<nil>" and go_format(1e21) == "1e+21"

    def test_several_values_or_nested_object_is_an_error(self):
        obj = pod({"type": "A", "status": "True"}, {"type": "B", "status": "True"})
        with pytest.raises(ConditionError, match="more than one value"):
            c.jsonpath("{.status.conditions[*].status}", "True")(obj)
        with pytest.raises(ConditionError, match="nested object"):
            c.jsonpath("{.status}", "x")(obj)


class TestDeleteCreateComposites:
    def test_delete(self):
        d = c.deleted()
        assert d(None)
        assert not d({"metadata": {"uid": "u1"}})
        bound = d.bind({"metadata": {"uid": "u1"}})
        assert not bound({"metadata": {"uid": "u1"}})
        assert bound({"metadata": {"uid": "u2"}})
        assert c.deleted(uid="u1")({"metadata": {"uid": "u2"}})
        assert c.parse_for("DELETE").absent_ok

    def test_create(self):
        assert c.parse_for("Create")({"metadata": {}})
        assert not c.created()(None)

    def test_composites_operators_and_callables(self):
        ready = c.condition("Ready")
        obj = pod({"type": "Ready", "status": "True"})
        assert (ready & (lambda o: o is not None))(obj)
        assert (c.condition("Failed") | ready)(obj)
        assert (~c.condition("Failed"))(obj)
        assert c.not_(ready)(None)
        assert not c.all_of(ready, c.condition("Failed"))(obj)
        assert repr(c.all_of("condition=Ready", "delete")) == "all_of(condition=Ready, delete)"
        assert not c.all_of(ready, "delete").absent_ok
        assert c.any_of(ready, "delete").absent_ok
        assert c.as_condition(lambda o: o is None)(None)
        bound = c.any_of(ready, c.deleted()).bind({"metadata": {"uid": "u1"}})
        assert bound({"metadata": {"uid": "u9"}})


class TestParseErrors:
    @pytest.mark.parametrize(
        ("spec", "message"),
        [
            ("bogus", 'unrecognized condition: "bogus"'),
            ("Condition=Ready", 'unrecognized condition: "Condition=Ready"'),
            ("jsonpath={.a}=1=2", "jsonpath wait format must be"),
            ("jsonpath=", "jsonpath expression cannot be empty"),
            ("jsonpath={.a}=", "jsonpath wait has to have a value after equal sign"),
            ("jsonpath={{.a}", "unexpected path string"),
            ("jsonpath={.a}{.b}", "unexpected path string"),
            ("jsonpath=.a[", "invalid jsonpath"),
        ],
    )
    def test_bad_for_names_the_bad_part(self, spec, message):
        with pytest.raises(ValueError) as ei:
            c.parse_for(spec)
        assert message in str(ei.value)

    def test_bad_types(self):
        with pytest.raises(TypeError):
            c.as_condition(42)  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            c.as_condition([])


def test_a_very_deep_jsonpath_is_a_clear_error():
    """jsonpath-ng evaluates recursively: a 5,000-step path must be refused at
    parse time (ValueError), not fail with RecursionError mid-wait."""
    from hybridwait.kube.conditions import parse_for

    with pytest.raises(ValueError, match="expression too deep"):
        parse_for("jsonpath={" + ".a" * 5000 + "}")
