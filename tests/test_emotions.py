"""The emotion vocabulary: canonical names, aliases, subsets, merges, errors."""

import pytest

from emopy.emotions import EMOTIONS, merge_map, resolve, resolve_many, subset_indices
from emopy.errors import EmopyError, UnknownEmotionError


def test_canonical_names_in_order():
    assert EMOTIONS == ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral", "contempt")
    for name in EMOTIONS:
        assert resolve(name) == name


@pytest.mark.parametrize(
    "alias, canon",
    [
        ("angry", "anger"),
        ("Angry", "anger"),
        ("happy", "happiness"),
        (" HAPPY ", "happiness"),
        ("sad", "sadness"),
        ("calm", "neutral"),
        ("surprised", "surprise"),
        ("disgusted", "disgust"),
        ("scared", "fear"),
        ("fearful", "fear"),
        ("contemptuous", "contempt"),
        ("Neutral", "neutral"),
    ],
)
def test_aliases(alias, canon):
    assert resolve(alias) == canon


def test_unknown_name_lists_valid_names():
    with pytest.raises(UnknownEmotionError) as err:
        resolve("boredom")
    msg = str(err.value)
    assert "'boredom'" in msg
    for name in EMOTIONS:
        assert name in msg
    assert "calm->neutral" in msg
    # one error type for callers: also a ValueError and an EmopyError
    assert isinstance(err.value, ValueError) and isinstance(err.value, EmopyError)


def test_resolve_many_list_and_comma_string():
    assert resolve_many("calm, anger,happy") == ["neutral", "anger", "happiness"]
    assert resolve_many(["Sad", "surprised"]) == ["sadness", "surprise"]
    with pytest.raises(UnknownEmotionError, match="named twice"):
        resolve_many("happy,happiness")
    with pytest.raises(UnknownEmotionError, match="empty"):
        resolve_many(" , ")
    with pytest.raises(UnknownEmotionError, match="valid names"):
        resolve_many("anger,nope")


def test_subset_indices():
    fer = EMOTIONS[:7]
    assert subset_indices(fer, "calm,anger,happy") == [6, 0, 3]
    with pytest.raises(UnknownEmotionError) as err:
        subset_indices(fer, "contempt,anger")
    assert "contempt" in str(err.value) and "available" in str(err.value)


def test_merge_disgust_into_anger():
    fer = EMOTIONS[:7]
    names, mapping = merge_map(fer, {"disgusted": "angry"})
    assert names == ["anger", "fear", "happiness", "sadness", "surprise", "neutral"]
    assert mapping == [0, 0, 1, 2, 3, 4, 5]


def test_merge_errors():
    fer = EMOTIONS[:7]
    with pytest.raises(UnknownEmotionError, match="both must be among"):
        merge_map(fer, {"contempt": "anger"})
    with pytest.raises(UnknownEmotionError):
        merge_map(fer, {"disgust": "rage"})
    with pytest.raises(UnknownEmotionError, match="merged away"):
        merge_map(fer, {"disgust": "anger", "anger": "fear"})
