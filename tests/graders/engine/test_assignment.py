"""Assignment: its checks and the options a grade may set."""

from __future__ import annotations

import pytest

from graders.engine.assignment import Assignment, option_value
from graders.engine.checks import Check


def _assignment(options) -> Assignment:
    def checks(opts):
        yield Check("f: options", lambda ctx: None, needs=("f",))
    return Assignment(id="tiny", title="Tiny", contract=("f",), checks=checks, reference=None, options=options)


@pytest.mark.parametrize("text,value", [("true", True), ("False", False), ("3", 3), ("0.5", 0.5),
                                        ("mnist:/x=y", "mnist:/x=y"), ("", "")])
def test_option_values_are_bools_numbers_or_text(text, value):
    assert option_value(text) == value and type(option_value(text)) is type(value)


def test_parse_options_accepts_declared_names_and_types_their_values():
    a = _assignment({"all_configs": False, "data": "digits"})
    assert a.parse_options(["all_configs=true", " data = mnist:/d=1 "]) == {"all_configs": True,
                                                                           "data": "mnist:/d=1"}
    assert a.parse_options([]) == {}


@pytest.mark.parametrize("options,item,message", [
    ({"all_configs": False}, "all_config=1", "tiny has no such option; its options: all_configs"),
    ({}, "x=1", "tiny has no such option; it declares none"),
    ({"x": 0}, "x", "expected NAME=VALUE"),
    ({"x": 0}, "=1", "expected NAME=VALUE"),
])
def test_parse_options_refuses_undeclared_names_and_items_without_a_value(options, item, message):
    with pytest.raises(ValueError, match=message):
        _assignment(options).parse_options([item])


def test_duplicate_check_names_are_refused():
    def checks(opts):
        yield Check("f: same", lambda ctx: None)
        yield Check("f: same", lambda ctx: None)
    a = Assignment(id="dup", title="Dup", contract=("f",), checks=checks, reference=None)
    with pytest.raises(ValueError, match="duplicate check names"):
        a.all_checks()


def test_all_checks_resolve_a_checks_needs_against_the_contract():
    def checks(opts):
        yield Check("f: named", lambda ctx: None)
        yield Check("helper: not a contract name", lambda ctx: None)
        yield Check("f: more", lambda ctx: None, needs=("f", "g"))
    a = Assignment(id="tiny", title="Tiny", contract=("f", "g"), checks=checks, reference=None)
    assert [c.needs for c in a.all_checks()] == [("f",), (), ("f", "g")]
