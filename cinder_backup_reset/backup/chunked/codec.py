"""Streaming compression of backup objects (none, zlib, bz2, zstd).

Cinder compresses each object in one call (``zlib.compress``,
``bz2.compress``, ``zstd.compress``), which holds a whole object, ~1.9 GB
by default, in memory. The data written here is byte-for-byte readable by
those one-shot functions, but it is produced and consumed in pieces so
memory stays bounded whatever ``backup_file_size`` is.

zstd streams go through python-zstandard (``zstandard``), whose
compressobj and stream_reader are the streaming interfaces the ``zstd``
module Cinder uses lacks; like zlib it releases the GIL while it works.
zlib streams are read with python-zlib-ng (``zlib_ng``), zlib's interface
over the faster zlib-ng library; they are written with zlib itself, as
Cinder writes them.
"""

import bz2
import zlib

from zlib_ng import zlib_ng
import zstandard

#: NOTE: Cinder compresses with each module's default level; so do we, so
#: that a backup written here compresses like one Cinder wrote.
ZLIB_LEVEL = zlib.Z_DEFAULT_COMPRESSION
BZ2_LEVEL = 9
ZSTD_LEVEL = 3
#: the largest zstd frame header (ZSTD_FRAMEHEADERSIZE_MAX), in bytes
ZSTD_FRAME_HEADER_MAX = 18


class CodecError(ValueError):
    """Compressed data is damaged (or not of the stated algorithm)."""


class _NoneCompressor:
    def compress(self, data):
        return data

    def flush(self):
        return b''


def compressor(codec, size=None):
    """A ``compress(data)`` / ``flush()`` object for one object's data.

    ``size`` is the number of bytes that will be fed (zstd records it).
    """
    if codec == 'none':
        return _NoneCompressor()
    if codec == 'zlib':
        return zlib.compressobj(ZLIB_LEVEL)
    if codec == 'bz2':
        return bz2.BZ2Compressor(BZ2_LEVEL)
    if codec == 'zstd':
        # NOTE: with the size given the frame header records the content
        # size, which the zstd module's one-shot decompress (what Cinder
        # restores with) needs.
        return zstandard.ZstdCompressor(level=ZSTD_LEVEL).compressobj(
            size=-1 if size is None else size)
    raise CodecError('unknown codec %r' % codec)


def read_decompressed(f, codec, max_out, read_size):
    """Yield the decompressed data of the file object ``f``.

    Pieces are at most ``max_out`` bytes (memory stays bounded however
    well the data compresses); ``f`` is read ``read_size`` bytes at a
    time. Raises CodecError if the data is damaged, truncated or followed
    by other bytes.
    """
    if codec == 'zstd':
        yield from _read_zstd(f, max_out, read_size)
        return
    decompressor = Decompressor(codec, max_out)
    while True:
        data = f.read(read_size)
        if not data:
            break
        yield from decompressor.feed(data)
    yield from decompressor.finish()


def _read_zstd(f, max_out, read_size):
    # NOTE: python-zstandard's decompressobj returns all the output of its
    # input at once (a zeroed region compresses ~30000:1), so read through
    # stream_reader, which hands out at most max_out bytes per read.
    start = f.tell()
    head = f.read(ZSTD_FRAME_HEADER_MAX)
    if not head:
        raise CodecError('zstd stream is truncated (it does not end)')
    try:
        expected = zstandard.frame_content_size(head)
    except zstandard.ZstdError as exc:
        raise CodecError('zstd data is damaged: %s' % exc)
    f.seek(start)
    reader = zstandard.ZstdDecompressor().stream_reader(
        f, read_size=read_size, read_across_frames=False, closefd=False)
    produced = 0
    try:
        while True:
            piece = reader.read(max_out)
            if not piece:
                break
            produced += len(piece)
            yield piece
    except zstandard.ZstdError as exc:
        if expected >= 0 and produced == expected:
            # NOTE: the frame ended whole; what follows is not zstd.
            raise CodecError('bytes follow the end of the zstd stream')
        raise CodecError('zstd data is damaged: %s' % exc)
    # NOTE: Cinder's frames and ours record their size; a frame that ends
    # early is only seen as shorter output.
    if expected >= 0 and produced < expected:
        raise CodecError('zstd stream is truncated (it does not end)')


class Decompressor:
    """Incremental decompression into pieces of at most ``max_out`` bytes.

    For none, zlib and bz2; zstd goes through read_decompressed().
    ``feed(data)`` and ``finish()`` yield the output pieces; ``finish``
    raises CodecError if the stream is truncated or followed by garbage.
    Bounded memory: output is produced ``max_out`` at a time however
    well the input compresses.
    """

    def __init__(self, codec, max_out):
        self.codec = codec
        self.max_out = max_out
        self._eof = False
        self._trailing = 0
        self._obj = None
        if codec == 'zlib':
            # NOTE: zlib-ng's inflate reads the same zlib streams about
            # three times as fast as zlib's, and it is what deep
            # verification and restore spend their time on.
            self._obj = zlib_ng.decompressobj()
        elif codec == 'bz2':
            self._obj = bz2.BZ2Decompressor()
        elif codec != 'none':
            raise CodecError('unknown codec %r' % codec)

    def feed(self, data):
        """Yield the decompressed pieces ``data`` produces."""
        if not data:
            return
        if self._eof:
            self._trailing += len(data)
            return
        try:
            if self.codec == 'none':
                view = memoryview(data)
                for start in range(0, len(data), self.max_out):
                    yield view[start:start + self.max_out]
            elif self.codec == 'zlib':
                yield from self._feed_zlib(data)
            else:
                yield from self._feed_bz2(data)
        except (zlib.error, zlib_ng.error, OSError, EOFError) as exc:
            raise CodecError('%s data is damaged: %s' % (self.codec, exc))

    def _feed_zlib(self, data):
        obj = self._obj
        while True:
            out = obj.decompress(data, self.max_out)
            if out:
                yield out
            data = obj.unconsumed_tail
            if obj.eof:
                self._eof = True
                self._trailing += len(obj.unused_data) or len(data)
                return
            # NOTE: a full output piece may leave output pending inside
            # zlib with no input left; ask again until it comes short.
            if not data and len(out) < self.max_out:
                return

    def _feed_bz2(self, data):
        obj = self._obj
        while True:
            out = obj.decompress(data, self.max_out)
            if out:
                yield out
            data = b''
            if obj.eof:
                self._eof = True
                self._trailing += len(obj.unused_data)
                return
            if obj.needs_input:
                return

    def finish(self):
        """Check the stream ended; CodecError if it did not.

        Returns an empty iterable: zlib and bz2 have handed out all
        their output in feed().
        """
        if self.codec == 'none':
            return ()
        if not self._eof:
            raise CodecError('%s stream is truncated (it does not end)'
                             % self.codec)
        if self._trailing:
            raise CodecError('%d bytes follow the end of the %s stream'
                             % (self._trailing, self.codec))
        return ()
