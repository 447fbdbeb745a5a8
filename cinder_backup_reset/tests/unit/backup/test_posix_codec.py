"""Streaming codecs: bounded pieces, and damage caught, for every codec."""

import bz2
import io
import zlib

from oslotest import base
import zstd

from cinder_backup_reset.backup.chunked import codec as posix_codec

#: Cinder's one-shot functions, which read what we write
ONE_SHOT = {'none': (lambda d: d, lambda d: d),
            'zlib': (zlib.compress, zlib.decompress),
            'bz2': (bz2.compress, bz2.decompress),
            'zstd': (zstd.compress, zstd.decompress)}
MAX_OUT = 64 * 1024


def _compress(codec, data):
    comp = posix_codec.compressor(codec, len(data))
    parts = [comp.compress(data[i:i + 100000])
             for i in range(0, len(data), 100000)]
    return b''.join(parts) + comp.flush()


def _read(codec, blob):
    return list(posix_codec.read_decompressed(io.BytesIO(blob), codec,
                                              MAX_OUT, 4096))


class TestCodecs(base.BaseTestCase):

    # NOTE: zeros compress by thousands to one: the case that needs the
    # output bounded.
    DATA = b'\0' * (8 * 1024 * 1024) + bytes(range(256)) * 1000

    def test_cinder_reads_what_we_write_and_we_read_what_cinder_writes(self):
        for codec, (compress, decompress) in ONE_SHOT.items():
            ours = _compress(codec, self.DATA)
            self.assertEqual(self.DATA, decompress(ours), codec)
            pieces = _read(codec, compress(self.DATA))
            self.assertEqual(self.DATA, b''.join(pieces), codec)

    def test_pieces_are_bounded(self):
        for codec in ONE_SHOT:
            pieces = _read(codec, _compress(codec, self.DATA))
            self.assertLessEqual(max(len(p) for p in pieces), MAX_OUT, codec)

    def test_truncated(self):
        for codec in ('zlib', 'bz2', 'zstd'):
            blob = _compress(codec, self.DATA)
            self.assertRaises(posix_codec.CodecError, _read, codec,
                              blob[:len(blob) // 2])
            self.assertRaises(posix_codec.CodecError, _read, codec, b'')

    def test_trailing_bytes(self):
        for codec in ('zlib', 'bz2', 'zstd'):
            blob = _compress(codec, self.DATA) + b'trailing'
            exc = self.assertRaises(posix_codec.CodecError, _read, codec,
                                    blob)
            self.assertIn('follow the end', str(exc))

    def test_not_compressed_at_all(self):
        for codec in ('zlib', 'bz2', 'zstd'):
            self.assertRaises(posix_codec.CodecError, _read, codec,
                              b'not compressed data' * 10)
