"""Every assignment's mutants, probed: each BUGGY mutant changes some contract output, each
CORRECT (unusual) one changes none, together the buggy ones reach every contract name, and the
reference's probe shows what it must. The probes and mutant lists: tests/mutants/probes/."""

from __future__ import annotations

import pytest

from tests.mutants import probing

AIDS = probing.probed_assignments()


def _params(kind: str) -> list:
    return [pytest.param(aid, m, id=f"{aid}-{m.name}")
            for aid in AIDS for m in getattr(probing.spec(aid), kind)]


@pytest.mark.parametrize("aid", AIDS)
def test_the_reference_probe_shows_what_the_contract_says(aid):
    probing.spec(aid).check_reference(probing.reference_probe(aid))


@pytest.mark.parametrize("aid", AIDS)
def test_mutant_names_are_unique_and_every_inexact_one_is_correct(aid):
    spec = probing.spec(aid)
    names = [m.name for m in spec.BUGGY + spec.CORRECT]
    assert len(names) == len(set(names))
    assert set(getattr(spec, "INEXACT", {})) <= {m.name for m in spec.CORRECT}


@pytest.mark.parametrize("aid, mutant", _params("BUGGY"))
def test_buggy_mutant_changes_some_contract_output(aid, mutant):
    changed = probing.differing_keys(probing.mutant_probe(aid, mutant), probing.reference_probe(aid),
                                     probing.spec(aid).CHANGED)
    assert changed, f"{mutant.name} behaves like the reference on every probe"


@pytest.mark.parametrize("aid, mutant", _params("CORRECT"))
def test_correct_mutant_matches_the_reference(aid, mutant):
    spec = probing.spec(aid)
    got, reference = probing.mutant_probe(aid, mutant), probing.reference_probe(aid)
    skip = getattr(spec, "INEXACT", {}).get(mutant.name, ())
    changed = probing.differing_keys(got, reference, getattr(spec, "MATCH", 1e-10), skip)
    assert not changed, f"{mutant.name} differs from the reference on {changed}"
    if hasattr(spec, "check_correct"):
        spec.check_correct(got, reference, mutant, probing.load_mutant(aid, mutant))


@pytest.mark.parametrize("aid", [aid for aid in AIDS if probing.spec(aid).CONTRACT is not None])
def test_every_contract_name_has_a_buggy_mutant(aid):
    spec = probing.spec(aid)
    name_of = getattr(spec, "contract_name", lambda key: key.split(":")[0])
    reference = probing.reference_probe(aid)
    hit = {name_of(k) for m in spec.BUGGY
           for k in probing.differing_keys(probing.mutant_probe(aid, m), reference, spec.CHANGED)}
    assert set(spec.CONTRACT) <= hit, set(spec.CONTRACT) - hit
