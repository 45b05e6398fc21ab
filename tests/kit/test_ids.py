import uuid

from waitline.kit.ids import new_id


def test_ids_are_uuid7_and_sort_in_the_order_they_were_made():
    ids = [new_id() for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    parsed = uuid.UUID(ids[0])
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
