"""Micro-benchmark: cost of the encrypted-field machinery against a bare AES-GCM call, same run.

    python -m bench.crypto [--rounds 300] [--batch 200]

For each field type it times, interleaved round by round (so that CPU frequency changes and noise hit
both sides alike), a batch of encryptions through the field (assign, then ``pre_save``: serialise,
associated data, key cache, AES-GCM, format) and a batch of bare ``AESGCM.encrypt`` calls with a fresh
nonce on the same bytes; likewise decryption (descriptor read of a stored value against bare
``AESGCM.decrypt``). It prints the median and 95th percentile per operation and the ratio of medians.
No database is touched: the data key is put in the key cache as ``do_create_data_key`` does.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import time
import uuid
from collections.abc import Callable

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from django.db import models  # noqa: E402

from encryption.envelope import Ciphertext  # noqa: E402
from encryption.fields import EncryptedDateField, EncryptedJSONField, EncryptedTextField  # noqa: E402
from encryption.keys import new_raw_key, remember_raw_key  # noqa: E402


class BenchRecord(models.Model):  # noqa: DJ008 - never displayed
    """An unsaved, unmanaged model with one encrypted field of each type (never touches a table)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    short_text = EncryptedTextField(data_key="bench_key_id")
    long_text = EncryptedTextField(data_key="bench_key_id")
    date = EncryptedDateField(data_key="bench_key_id")
    json = EncryptedJSONField(data_key="bench_key_id")

    class Meta:
        app_label = "encryption"
        managed = False


VALUES = {
    "short_text": "Zoë O'Brien-Smith",
    "long_text": ("Seen at the bus station after school with an older male; said she was fine. " * 14)[:1024],
    "date": datetime.date(2009, 2, 28),
    "json": {"phones": ["07700 900123", "07700 900456"], "school": "Test Academy", "aliases": ["Zo", "ZB"]},
}


def _per_op(fn: Callable[[], object], batch: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(batch):
        fn()
    return (time.perf_counter_ns() - start) / batch / 1000.0  # microseconds per operation


def _summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--batch", type=int, default=200)
    options = parser.parse_args()

    key_id, raw = uuid.uuid4(), new_raw_key()
    remember_raw_key(key_id, raw)
    bare = AESGCM(raw)
    record = BenchRecord()
    record.bench_key_id = key_id  # type: ignore[attr-defined]

    print(f"cores: {os.cpu_count()}  rounds: {options.rounds}  batch: {options.batch}  (times in µs/op)")
    print(f"{'field':<11} {'op':<8} {'field med':>10} {'p95':>8} {'bare med':>10} {'p95':>8} {'ratio':>6}")
    for name, value in VALUES.items():
        field = BenchRecord._meta.get_field(name)
        plain = field.to_bytes(value)
        aad = field.aad_for(record)

        def field_encrypt(field=field, value=value, name=name) -> object:
            setattr(record, name, value)  # a new value: pre_save must encrypt
            return field.pre_save(record, False)

        def bare_encrypt(plain=plain, aad=aad) -> object:
            nonce = os.urandom(12)
            return nonce + bare.encrypt(nonce, plain, aad)

        token = Ciphertext(field_encrypt())
        sealed = bare_encrypt()

        def field_decrypt(name=name, token=token) -> object:
            setattr(record, name, token)  # as loaded from the database, not yet decrypted
            return getattr(record, name)

        def bare_decrypt(sealed=sealed, aad=aad) -> object:
            return bare.decrypt(sealed[:12], sealed[12:], aad)

        assert field_decrypt() == value
        for op, through_field, direct in (("encrypt", field_encrypt, bare_encrypt),
                                          ("decrypt", field_decrypt, bare_decrypt)):
            field_times, bare_times = [], []
            for round_number in range(options.rounds):
                # Alternate which side goes first, so neither always runs on a warmer cache.
                if round_number % 2:
                    field_times.append(_per_op(through_field, options.batch))
                    bare_times.append(_per_op(direct, options.batch))
                else:
                    bare_times.append(_per_op(direct, options.batch))
                    field_times.append(_per_op(through_field, options.batch))
            f_med, f_p95 = _summary(field_times)
            b_med, b_p95 = _summary(bare_times)
            print(f"{name:<11} {op:<8} {f_med:>10.2f} {f_p95:>8.2f} {b_med:>10.2f} {b_p95:>8.2f} "
                  f"{f_med / b_med:>5.2f}x")


if __name__ == "__main__":
    main()
