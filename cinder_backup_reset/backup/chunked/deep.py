"""Deep verification: decompress every object, check md5 and sha256s.

Each object goes through a three-stage pipeline:

* the producer reads the object in pieces and decompresses it;
* one stage computes the md5 of the data;
* one stage hashes every ``chunk_size`` block and compares it with the
  sha256 file.

zlib, bz2, python-zstandard and hashlib release the GIL while
they work on large buffers, so the stages run on different cores even
for a single ~1.9 GB object. Several objects are verified at once when
there are more cores than one pipeline can fill. Queues are bounded, so
memory does not depend on the object size.
"""

import concurrent.futures
import hashlib
import math
import os
import queue
import threading
import time

from cinder_backup_reset.backup.chunked import codec as chunk_codec
from cinder_backup_reset.backup.chunked import format as fmt

#: compressed bytes read at a time
READ_SIZE = 1024 * 1024
#: NOTE: ~4 MiB of output per piece: large enough that the GIL is taken
#: rarely, small enough that the queues stay far below 100 MiB.
OUT_SIZE = 4 * 1024 * 1024
QUEUE_DEPTH = 4


class ObjectDamage(Exception):
    """One object is damaged; ``block`` is the first bad sha256 block."""

    def __init__(self, reason, block=None):
        super().__init__(reason)
        self.reason = reason
        self.block = block


class _Stages:
    """Consumers of one object's pieces (md5 and the sha256 blocks)."""

    def __init__(self, chunk_size, expected):
        self.chunk_size = chunk_size
        self.expected = expected
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.bad_block = None
        self.blocks = 0
        self.md5_q = queue.Queue(QUEUE_DEPTH)
        self.sha_q = queue.Queue(QUEUE_DEPTH)

    def md5_stage(self):
        while True:
            piece = self.md5_q.get()
            if piece is None:
                return
            self.md5.update(piece)

    def _check(self, block):
        index = self.blocks
        self.blocks += 1
        if self.bad_block is not None:
            return
        if (index >= len(self.expected) or
                hashlib.sha256(block).hexdigest() != self.expected[index]):
            self.bad_block = index

    def sha_stage(self):
        size = self.chunk_size
        carry = b''
        while True:
            piece = self.sha_q.get()
            if piece is None:
                break
            if self.bad_block is not None:
                continue  # NOTE: keep draining so the producer never waits
            view = memoryview(piece)
            pos = 0
            if carry:
                pos = size - len(carry)
                carry += bytes(view[:pos])
                if len(carry) < size:
                    continue
                self._check(carry)
                carry = b''
            while pos + size <= len(view):
                self._check(view[pos:pos + size])
                pos += size
            carry = bytes(view[pos:])
        if carry:
            self._check(carry)

    def put(self, piece):
        self.md5_q.put(piece)
        self.sha_q.put(piece)

    def close(self):
        self.md5_q.put(None)
        self.sha_q.put(None)


def _produce(reader, codec, length, stages, stop, count):
    """Read and decompress ``reader`` into ``stages``; returns bytes out."""
    out_size = max(stages.chunk_size,
                   OUT_SIZE // stages.chunk_size * stages.chunk_size)
    read_size = out_size if codec == 'none' else READ_SIZE
    produced = 0

    def emit(pieces):
        nonlocal produced
        for piece in pieces:
            produced += len(piece)
            if produced > length:
                raise ObjectDamage('it decompresses to more than the %d '
                                   'bytes the metadata records' % length)
            stages.put(piece)
            count(len(piece))

    with reader() as f:
        for piece in chunk_codec.read_decompressed(f, codec, out_size,
                                                   read_size):
            if stop():
                return produced
            emit((piece,))
    return produced


def verify_object(store, container, name, info, chunk_size, sha_index,
                  pool, stop, count):
    """Verify one object; raise ObjectDamage with the first bad block.

    ``pool`` runs the two hashing stages; ``stop()`` says a lower object
    already failed; ``count(n)`` reports decompressed bytes.
    """
    length = info['length']
    first_block = info['offset'] // chunk_size
    expected = sha_index.get(first_block, math.ceil(length / chunk_size))
    stages = _Stages(chunk_size, expected)
    md5_done = pool.submit(stages.md5_stage)
    sha_done = pool.submit(stages.sha_stage)
    produced = 0
    error = None
    try:
        produced = _produce(lambda: store.open(container, name),
                            fmt.codec_for(info['compression']),
                            length, stages, stop, count)
    except chunk_codec.CodecError as exc:
        error = str(exc)
    except ObjectDamage as exc:
        error = exc.reason
    except OSError as exc:
        if store.unreadable(exc):
            # NOTE: the backend failed, not the object: no verdict.
            raise
        error = 'cannot be read: %s' % exc
    finally:
        stages.close()
        md5_done.result()
        sha_done.result()
    if stop():
        return None
    bad = stages.bad_block
    if error is None and produced != length:
        error = ('it decompresses to %d bytes, but the metadata records %d'
                 % (produced, length))
    if error is None and stages.md5.hexdigest() != info['md5']:
        error = ('the md5 of its data is %s, the metadata records %s'
                 % (stages.md5.hexdigest(), info['md5']))
    if error is None and bad is not None:
        error = 'a block does not match the sha256 file'
    if error is None:
        return stages.blocks
    if bad is None and error is not None:
        # NOTE: no hashed block was wrong: the damage starts where the
        # good data ends.
        bad = min(produced // chunk_size, max(0, len(expected) - 1))
    raise ObjectDamage(error, first_block + bad)


def verify_objects(store, container, entries, chunk_size, sha_index,
                   workers=None, progress=None):
    """Deep-verify every object; returns evidence or raises ObjectDamage.

    ``store`` (store.py) holds ``container``; a backend error it calls
    unreadable() propagates.

    The ObjectDamage raised is for the first damaged object in metadata
    order, its ``reason`` names the object and block.
    """
    workers = workers or os.cpu_count() or 1
    total = sum(info['length'] for _name, info in entries)
    lock = threading.Lock()
    state = {'done': 0, 'first_bad': len(entries)}
    started = time.monotonic()

    def count(nbytes):
        with lock:
            state['done'] += nbytes
            done = state['done']
        if progress is not None:
            progress(done, total)

    def check(number, name, info):
        def stop():
            return state['first_bad'] < number
        try:
            return verify_object(store, container, name, info, chunk_size,
                                 sha_index, hash_pool, stop, count)
        except ObjectDamage:
            with lock:
                state['first_bad'] = min(state['first_bad'], number)
            raise

    blocks = 0
    failures = {}
    # NOTE: one producer per core; each uses two hashing threads, so the
    # hash pool is twice as large and a producer never waits for a slot.
    with concurrent.futures.ThreadPoolExecutor(2 * workers) as hash_pool, \
            concurrent.futures.ThreadPoolExecutor(workers) as object_pool:
        futures = [object_pool.submit(check, number, name, info)
                   for number, (name, info) in enumerate(entries)]
        for number, future in enumerate(futures):
            try:
                blocks += future.result() or 0
            except ObjectDamage as exc:
                failures[number] = exc
                for later in futures[number + 1:]:
                    later.cancel()
                break
    seconds = time.monotonic() - started
    if failures:
        number = min(failures)
        exc = failures[number]
        name, info = entries[number]
        block = exc.block
        offset = block * chunk_size - info['offset']
        raise ObjectDamage(
            'object %s (number %d of %d) is damaged: %s; first bad block '
            '%d (byte %d of the volume, byte %d of the object)'
            % (name, number + 1, len(entries), exc.reason, block,
               block * chunk_size, offset), block)
    return {
        'level': 'deep',
        'objects_verified': len(entries),
        'bytes_verified': total,
        'blocks_verified': blocks,
        'seconds': round(seconds, 3),
        'mib_per_second': round(total / 1048576 / seconds, 1)
        if seconds else None,
    }
