"""The engine computes a final schedule once per shape and names the people after
(``schedule.Plan``); what depends only on the shape and on who is the same person is kept
on the plan. These properties check that sharing changes no answer: a rotation made from
another's template, with other people (some of them one person), gets exactly the
segments, covered time, stretches, warnings and problems it would get alone.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_properties import FOCUS, rotations

from oncall import schedule
from oncall.coverage import check_rotation
from oncall.coverage_warnings import on_call_twice, rotation_warnings
from oncall.fairness import rotation_load
from oncall.model import Layer, Override, Person, Rotation, Segment
from oncall.schedule import covered, final_schedule, stretches

PEOPLE = {p: Person(p, p.upper(), phone="+14155550101") for p in ("a", "b", "c", "d", "x", "y", "z")}
PEOPLE["y"] = Person("y", "Y")  # no phone: unreachable whenever on call
PEOPLE["z"] = PEOPLE["z"]._replace(away=())

props = settings(max_examples=80, deadline=None)


def recast(rot: Rotation, names: dict[str, str], rid: str = "other") -> Rotation:
    """``rot``'s template with each person renamed by ``names`` (two may become one)."""
    layers = tuple(Layer(f"{layer.name}-{rid}", tuple(names[m] for m in layer.members), layer.start, layer.every,
                         layer.timezone, layer.only, layer.until, layer.since) for layer in rot.layers)
    overrides = tuple(Override(names[o.who], o.start, o.end, o.note) for o in rot.overrides)
    return Rotation(rid, rid.upper(), rot.timezone, layers, overrides, rot.coverage)


def alone(rot: Rotation, start, end) -> list:
    """``rot``'s final schedule with every shape cache emptied first."""
    schedule._plan.cache_clear()
    schedule._with_overrides.cache_clear()
    return final_schedule(rot, start, end)


names_strategy = st.fixed_dictionaries({p: st.sampled_from(["a", "b", "x", "y", "z"]) for p in "abcd"})


@props
@given(st.sampled_from(FOCUS).flatmap(lambda f: st.tuples(rotations(f), st.just(f[1]), names_strategy,
                                                          st.integers(1, 6 * 96))))
def test_a_rotation_of_a_shared_template_gets_the_answers_it_would_get_alone(case):
    rot, focus, names, cells = case
    start, end = focus - timedelta(days=2), focus + cells * timedelta(minutes=15)
    other = recast(rot, names)
    expected = alone(other, start, end)
    mine, theirs = final_schedule(rot, start, end), final_schedule(other, start, end)  # theirs shares mine's plan
    assert theirs == expected
    assert theirs == [s._replace(rotation="other", person=names[s.person],
                                 source=s.source if s.source == "override" else f"{s.source}-other") for s in mine]
    plain = list(theirs)
    assert covered(theirs) == covered(plain)
    assert stretches(theirs) == stretches(plain)
    for max_duty, min_rest in ((timedelta(days=7), timedelta(hours=8)), (timedelta(hours=5), timedelta(hours=30))):
        assert rotation_warnings(other, PEOPLE, theirs, start, end, max_duty, min_rest) == \
               rotation_warnings(other, PEOPLE, plain, start, end, max_duty, min_rest)
    assert rotation_load("other", theirs, other.members, [(start, end)]) == \
           rotation_load("other", plain, other.members, [(start, end)])
    assert on_call_twice({"r": mine, "other": theirs}) == on_call_twice({"r": list(mine), "other": plain})
    shared = check_rotation(other, PEOPLE, start, end, rotations={"r": rot, "other": other})
    schedule._plan.cache_clear()
    schedule._with_overrides.cache_clear()
    assert shared == check_rotation(other, PEOPLE, start, end, rotations={"other": other, "r": rot})


def test_a_schedule_is_the_list_of_its_segments_and_cannot_be_changed_in_place():
    """Its answers come from its plan, so changing it in place would make them stale."""
    rot = Rotation("r", "R", "UTC", (Layer("l", ("a", "b"), FOCUS[-1][1].replace(tzinfo=None), timedelta(days=1),
                                           "UTC"),))
    start = FOCUS[-1][1]
    segs = final_schedule(rot, start, start + timedelta(days=4))
    day = timedelta(days=1)
    expected = [Segment("r", "ab"[i % 2], start + i * day, start + (i + 1) * day, "layer:l") for i in range(4)]
    assert segs[1] == expected[1] and segs[-1] == expected[-1] and segs[1:3] == expected[1:3]
    assert segs == expected and expected == segs and list(segs) == expected and len(segs) == 4
    assert stretches(segs) == stretches(expected) and covered(segs) == [(start, start + 4 * day)]
    with pytest.raises(TypeError):
        del segs[2:]
    with pytest.raises(AttributeError):
        segs.append(expected[0])
