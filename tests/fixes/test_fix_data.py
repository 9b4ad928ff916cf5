"""A finding's data is a small frozen dataclass per shape (`fixdata.py`): typed fields for the fix builders,
JSON where it crosses to the editor (the diagnostic's `data`) and the results cache, and back unchanged."""

from __future__ import annotations

import json

from gradguard import Config, analyze
from gradguard.checking import _finding_from_json, _finding_to_json
from gradguard.fixdata import FixData, ForwardPasses, ModelAt, ModelInLoop
from gradguard.fixes import code_fixes, fixes_for
from gradguard.lsp.convert import finding_data, finding_from_data
from gradguard.rules import RULES

SHAPES = {"GG201": ForwardPasses, "GG202": ModelAt, "GG203": ModelInLoop, "GG205": ModelAt}


def reported():
    for rule in RULES:
        for source in rule.fires:
            for found in analyze(source, "example.py", Config()):
                if found.code == rule.code:
                    yield source, found


def test_each_rule_reports_the_shape_its_fixes_read():
    seen = set()
    for source, found in reported():
        shape = SHAPES.get(found.code)
        if shape is None or found.data is None:
            # no data: a rule whose fixes read none, or a finding its rule has no fix for (GG203 at a method's exit)
            assert found.data is None and (shape is None or not code_fixes(source, found, Config())), found
            continue
        assert type(found.data) is shape, found
        seen.add(found.code)
    assert set(SHAPES) <= seen


def test_data_comes_back_from_json_equal_and_gives_the_same_fixes():
    for source, found in reported():
        through_editor = finding_from_data(json.loads(json.dumps(finding_data(found))))
        through_cache = _finding_from_json(json.loads(json.dumps(_finding_to_json(found))))
        assert through_editor is not None and through_editor.data == found.data == through_cache.data, found
        if found.data is not None:
            assert fixes_for(source, through_editor, Config()) == fixes_for(source, found, Config())


def test_data_that_is_not_what_to_json_wrote_gives_no_data():
    good = ModelAt("model", 3).to_json()
    assert FixData.from_json(good) == ModelAt("model", 3)
    for bad in [
        None,
        [],
        {},
        {**good, "kind": "Finding"},
        {**good, "anchor_line": "3"},
        {**good, "anchor_line": True},
        {**good, "receiver": None},
        {"kind": "ModelAt", "receiver": "model"},
    ]:
        assert FixData.from_json(bad) is None, bad
    assert FixData.from_json({"kind": "ForwardPasses"}) == ForwardPasses()
