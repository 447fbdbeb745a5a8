#!/usr/bin/env python3
"""Benchmark the posix driver's deep and shallow verification.

Builds a >= 1 GiB backup in a temporary directory with the project's
writer (zlib, Cinder's default), then compares deep-verify throughput with
this machine's single-core limit: one loop doing zlib decompression,
sha256 of every block and md5 over the same bytes. It does this once with
Cinder's default backup_file_size (one big object) and once with 64 MiB
objects, and times shallow verification of a 1,000-object backup.

Usage: python tools/bench_verify.py [--size-mib 1024] [--keep DIR]
"""

import argparse
import datetime
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time
import types
import uuid
import zlib

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from cinder_backup_reset.backup.chunked import codec as codecs  # noqa: E402
from cinder_backup_reset.backup.chunked import format as fmt  # noqa: E402
from cinder_backup_reset.backup.drivers import posix  # noqa: E402
from cinder_backup_reset.backup import posix_writer  # noqa: E402

MiB = 1024 * 1024
BLOCK = 32768
DEFAULT_FILE_SIZE = 1999994880


def make_volume(path, size):
    """Random-ish, compressible data (~2:1 with zlib), generated fast."""
    rnd = os.urandom(MiB)
    pattern = []
    for i in range(16):
        snippet = rnd[i * 4096:(i + 1) * 4096]
        pattern.append(snippet * 64)              # 256 KiB, repetitive
        pattern.append(bytes(128 * 1024))         # zeros
        pattern.append(rnd[i * 65536:i * 65536 + 65536] * 2)  # 128 KiB
        pattern.append(os.urandom(256 * 1024))    # incompressible
    unit = b''.join(pattern)
    with open(path, 'wb') as f:
        written = 0
        while written < size:
            part = unit[:size - written]
            f.write(part)
            written += len(part)


def write_backup(root, volume, file_size):
    backup_id = str(uuid.uuid4())
    volume_id = str(uuid.uuid4())
    prefix = fmt.object_prefix(volume_id, backup_id, datetime.datetime.now(
        datetime.timezone.utc))
    container = fmt.default_container(backup_id)
    spec = posix_writer.BackupSpec(
        backup_id=backup_id, volume_id=volume_id, prefix=prefix,
        container_path=posix_writer.make_container(root, container))
    with open(volume, 'rb') as source:
        result = posix_writer.write_backup(
            source, spec, file_size, BLOCK, 'zlib',
            total=os.path.getsize(volume))
    return types.SimpleNamespace(
        id=backup_id, volume_id=volume_id, container=container,
        service_metadata=prefix, size=-(-result.size_bytes // 1024 ** 3),
        object_count=result.object_count, parent_id=None,
        service=posix.POSIX_SERVICE)


def _objects(root, backup):
    path = os.path.join(root, backup.container)
    metadata = fmt.load(os.path.join(path, fmt.metadata_name(
        backup.service_metadata)))
    for name, info in fmt.object_entries(metadata):
        yield os.path.join(path, name), info


def single_core_one_shot(root, backup):
    """The naive loop: whole object in memory, one call per step."""
    total = 0
    started = time.perf_counter()
    for path, info in _objects(root, backup):
        with open(path, 'rb') as f:
            stored = f.read()
        data = (zlib.decompress(stored) if info['compression'] != 'none'
                else stored)
        del stored
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        view = memoryview(data)
        for start in range(0, len(data), BLOCK):
            hashlib.sha256(view[start:start + BLOCK]).hexdigest()
        assert md5 == info['md5']
        total += len(data)
        del view, data
    return total / (time.perf_counter() - started)


def single_core_streaming(root, backup):
    """The best one-thread loop: 1 MiB reads, 4 MiB pieces in cache.

    Same work as deep verify (decompress, md5, sha256 of every block),
    done one step after the other on one core.
    """
    total = 0
    started = time.perf_counter()
    for path, info in _objects(root, backup):
        codec = 'zlib' if info['compression'] != 'none' else 'none'
        decompressor = codecs.Decompressor(codec, 128 * BLOCK)
        md5 = hashlib.md5(usedforsecurity=False)

        def consume(pieces):
            nonlocal total
            for piece in pieces:
                md5.update(piece)
                view = memoryview(piece)
                for start in range(0, len(piece), BLOCK):
                    hashlib.sha256(view[start:start + BLOCK]).hexdigest()
                total += len(piece)

        with open(path, 'rb', buffering=0) as f:
            while True:
                data = f.read(MiB if codec != 'none' else 128 * BLOCK)
                if not data:
                    break
                consume(decompressor.feed(data))
        consume(decompressor.finish())
        assert md5.hexdigest() == info['md5']
    return total / (time.perf_counter() - started)


def deep(driver, backup):
    started = time.perf_counter()
    result = driver.verify(None, backup, deep=True)
    seconds = time.perf_counter() - started
    return result.evidence['bytes_verified'] / seconds


def compare(root, volume, file_size, label, driver):
    started = time.perf_counter()
    backup = write_backup(root, volume, file_size)
    print('%s: wrote %d object(s) in %.1f s' % (
        label, backup.object_count, time.perf_counter() - started))
    naive = max(single_core_one_shot(root, backup) for _ in range(2))
    base = max(single_core_streaming(root, backup) for _ in range(2))
    fast = max(deep(driver, backup) for _ in range(3))
    print('%s: single-core limit %.0f MiB/s (streaming loop; the one-shot '
          'loop does %.0f MiB/s), deep verify %.0f MiB/s, ratio %.2f '
          '(%.2f against the one-shot loop)'
          % (label, base / MiB, naive / MiB, fast / MiB, fast / base,
             fast / naive))
    shutil.rmtree(os.path.join(root, backup.container.split('/')[0]))
    return fast / base


def shallow_time(root, driver):
    volume = os.path.join(root, 'small.img')
    make_volume(volume, 1000 * 2 * BLOCK)
    backup = write_backup(root, volume, 2 * BLOCK)
    assert backup.object_count == 1000
    times = []
    for _ in range(20):
        started = time.perf_counter()
        driver.verify(None, backup, deep=False)
        times.append(time.perf_counter() - started)
    print('shallow verify of a 1000-object backup: median %.1f ms, best '
          '%.1f ms' % (statistics.median(times) * 1000, min(times) * 1000))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--size-mib', type=int, default=1024)
    parser.add_argument('--keep', help='work in DIR and keep it')
    args = parser.parse_args()
    root = args.keep or tempfile.mkdtemp(prefix='bench-verify-')
    os.makedirs(root, exist_ok=True)
    try:
        conf = types.SimpleNamespace(backup_posix_path=root)
        driver = posix.PosixBackupDriver(conf)
        print('CPUs: %d' % os.cpu_count())
        volume = os.path.join(root, 'volume.img')
        make_volume(volume, args.size_mib * MiB)
        compare(root, volume, DEFAULT_FILE_SIZE,
                'default backup_file_size', driver)
        compare(root, volume, 64 * MiB, '64 MiB objects', driver)
        shallow_time(root, driver)
    finally:
        if not args.keep:
            shutil.rmtree(root)
    return 0


if __name__ == '__main__':
    sys.exit(main())
