"""Tenants and shards: plain tenant keys, stable buckets, shards that split a book exactly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning.core.shards import DEFAULT_TENANT, Shard, check_tenant, customer_bucket
from dunning.exceptions import ConfigurationError


def test_a_bucket_is_the_first_four_bytes_of_the_sha256() -> None:
    """From ``printf 'default/C-001' | sha256sum`` (ac3391ed...) and 'acme/C-7' (b958579c...)."""
    assert customer_bucket(DEFAULT_TENANT, "C-001") == 0xAC3391ED
    assert customer_bucket("acme", "C-7") == 0xB958579C
    assert customer_bucket("acme", "C-001") != customer_bucket(DEFAULT_TENANT, "C-001")


@pytest.mark.parametrize(
    "tenant", ["", "a b", "acme/eu", "l'atelier", "-acme", "x" * 65, 12, None, "é"]
)
def test_a_tenant_key_is_plain_or_refused(tenant: object) -> None:
    """Empty, spaced, slashed, quoted, leading dash, too long, not text, non-ASCII: refused."""
    with pytest.raises(ConfigurationError, match=r"tenant: .* is not a tenant key"):
        check_tenant(tenant)


@pytest.mark.parametrize("tenant", ["a", "acme", "552100554", "acme.eu:paris@2", "x" * 64])
def test_slugs_sirens_and_ids_are_tenant_keys(tenant: str) -> None:
    """A slug, a SIREN, a dotted or tagged id, 64 characters: accepted as given."""
    assert check_tenant(tenant) == tenant


@pytest.mark.parametrize(
    ("index", "count", "problem"),
    [
        (0, 0, "count 0 is not a whole number of at least 1"),
        (2, 2, "index 2 is not in 0..1"),
        (-1, 2, "index -1 is not in 0..1"),
        (True, 2, "index True is not in 0..1"),
        (0, 2.0, "count 2.0 is not a whole number"),
    ],
)
def test_a_shard_out_of_range_is_refused(index: object, count: object, problem: str) -> None:
    """Shards are numbered 0..count-1, count at least 1, whole numbers only."""
    with pytest.raises(ConfigurationError, match=problem):
        Shard(index, count)  # type: ignore[arg-type]


@given(
    tenant=st.sampled_from(["default", "acme", "552100554"]),
    customer=st.text(min_size=1, max_size=30),
    count=st.integers(min_value=1, max_value=16),
)
def test_every_customer_is_in_exactly_one_shard(tenant: str, customer: str, count: int) -> None:
    """For any book split in *count* shards, each customer is reviewed by exactly one worker."""
    holders = [i for i in range(count) if Shard(i, count).holds(tenant, customer)]
    assert holders == [customer_bucket(tenant, customer) % count]


def test_shards_split_a_book_roughly_evenly() -> None:
    """1,000 customers in 4 shards: each gets 200 to 300 (a hash, not a range of ids)."""
    sizes = [sum(Shard(i, 4).holds("acme", f"C-{n:04d}") for n in range(1000)) for i in range(4)]
    assert sum(sizes) == 1000
    assert all(200 <= size <= 300 for size in sizes), sizes
