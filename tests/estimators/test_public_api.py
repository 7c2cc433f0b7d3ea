"""Every public estimator is reachable from analysis.estimators and documents its conventions."""
import analysis.estimators as estimators


def test_every_public_name_resolves_to_a_documented_callable():
    for name in estimators.ESTIMATORS:
        obj = getattr(estimators, name)
        assert callable(obj), name
        assert obj.__doc__ and len(obj.__doc__) > 80, f"{name} needs a docstring with its equation and conventions"


def test_unknown_names_raise_attribute_error():
    import pytest

    with pytest.raises(AttributeError):
        estimators.fit_everything  # noqa: B018
