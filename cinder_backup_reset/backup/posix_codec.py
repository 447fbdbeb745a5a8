"""Streaming compression of backup objects (none, zlib, bz2, zstd).

Cinder compresses each object in one call (``zlib.compress``,
``bz2.compress``, ``zstd.compress``), which holds a whole object, ~1.9 GB
by default, in memory. The data written here is byte-for-byte readable by
those one-shot functions, but it is produced and consumed in pieces so
memory stays bounded whatever ``backup_file_size`` is.

The ``zstd`` module Cinder uses has no streaming interface, so zstd
streams go through libzstd with ctypes (ctypes releases the GIL during
the call, like zlib does); without libzstd we fall back to the module's
one-shot functions.
"""

import bz2
import ctypes
import ctypes.util
import zlib

try:
    import zstd as zstd_module
except ImportError:  # pragma: no cover - zstd is in requirements
    zstd_module = None

#: NOTE: Cinder compresses with each module's default level; so do we, so
#: that a backup written here compresses like one Cinder wrote.
ZLIB_LEVEL = zlib.Z_DEFAULT_COMPRESSION
BZ2_LEVEL = 9
ZSTD_LEVEL = 3


class CodecError(ValueError):
    """Compressed data is damaged (or not of the stated algorithm)."""


class _ZBuffer(ctypes.Structure):
    # ZSTD_inBuffer and ZSTD_outBuffer have the same layout.
    _fields_ = [('ptr', ctypes.c_void_p), ('size', ctypes.c_size_t),
                ('pos', ctypes.c_size_t)]


def _load_libzstd():
    name = ctypes.util.find_library('zstd') or 'libzstd.so.1'
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    lib.ZSTD_createDCtx.restype = ctypes.c_void_p
    lib.ZSTD_freeDCtx.argtypes = [ctypes.c_void_p]
    lib.ZSTD_createCCtx.restype = ctypes.c_void_p
    lib.ZSTD_freeCCtx.argtypes = [ctypes.c_void_p]
    lib.ZSTD_decompressStream.restype = ctypes.c_size_t
    lib.ZSTD_decompressStream.argtypes = [
        ctypes.c_void_p, ctypes.POINTER(_ZBuffer), ctypes.POINTER(_ZBuffer)]
    lib.ZSTD_compressStream2.restype = ctypes.c_size_t
    lib.ZSTD_compressStream2.argtypes = [
        ctypes.c_void_p, ctypes.POINTER(_ZBuffer), ctypes.POINTER(_ZBuffer),
        ctypes.c_int]
    lib.ZSTD_CCtx_setParameter.restype = ctypes.c_size_t
    lib.ZSTD_CCtx_setParameter.argtypes = [ctypes.c_void_p, ctypes.c_int,
                                           ctypes.c_int]
    lib.ZSTD_CCtx_setPledgedSrcSize.restype = ctypes.c_size_t
    lib.ZSTD_CCtx_setPledgedSrcSize.argtypes = [ctypes.c_void_p,
                                                ctypes.c_ulonglong]
    lib.ZSTD_isError.restype = ctypes.c_uint
    lib.ZSTD_isError.argtypes = [ctypes.c_size_t]
    lib.ZSTD_getErrorName.restype = ctypes.c_char_p
    lib.ZSTD_getErrorName.argtypes = [ctypes.c_size_t]
    lib.ZSTD_CStreamOutSize.restype = ctypes.c_size_t
    return lib


_LIBZSTD = _load_libzstd()
_ZSTD_C_COMPRESSION_LEVEL = 100
_ZSTD_E_CONTINUE = 0
_ZSTD_E_END = 2


def _zstd_check(code):
    if _LIBZSTD.ZSTD_isError(code):
        raise CodecError('zstd: %s'
                         % _LIBZSTD.ZSTD_getErrorName(code).decode())
    return code


def _in_buffer(data):
    # NOTE: c_char_p points at the bytes object's own storage: no copy.
    # The caller keeps ``data`` alive while the buffer is in use.
    return _ZBuffer(ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p),
                    len(data), 0)


class _NoneCompressor:
    def compress(self, data):
        return data

    def flush(self):
        return b''


class _ZstdStreamCompressor:
    """zstd frame written in pieces; the header records the data size."""

    def __init__(self, size):
        self._cctx = _LIBZSTD.ZSTD_createCCtx()
        _zstd_check(_LIBZSTD.ZSTD_CCtx_setParameter(
            self._cctx, _ZSTD_C_COMPRESSION_LEVEL, ZSTD_LEVEL))
        if size is not None:
            # NOTE: with the size pledged the frame header carries the
            # content size, which the zstd module's one-shot decompress
            # (what Cinder restores with) needs.
            _zstd_check(_LIBZSTD.ZSTD_CCtx_setPledgedSrcSize(self._cctx,
                                                             size))
        self._out = ctypes.create_string_buffer(
            _LIBZSTD.ZSTD_CStreamOutSize())

    def _run(self, data, mode):
        inbuf = _in_buffer(data)
        chunks = []
        while True:
            out = _ZBuffer(ctypes.cast(self._out, ctypes.c_void_p),
                           len(self._out), 0)
            remaining = _zstd_check(_LIBZSTD.ZSTD_compressStream2(
                self._cctx, ctypes.byref(out), ctypes.byref(inbuf), mode))
            if out.pos:
                chunks.append(self._out.raw[:out.pos])
            if mode == _ZSTD_E_END:
                if remaining == 0:
                    break
            elif inbuf.pos == inbuf.size:
                break
        return b''.join(chunks)

    def compress(self, data):
        return self._run(bytes(data), _ZSTD_E_CONTINUE)

    def flush(self):
        try:
            return self._run(b'', _ZSTD_E_END)
        finally:
            _LIBZSTD.ZSTD_freeCCtx(self._cctx)
            self._cctx = None


class _ZstdOneShotCompressor:
    """Fallback without libzstd: buffers the object (unbounded memory)."""

    def __init__(self):
        self._parts = []

    def compress(self, data):
        self._parts.append(bytes(data))
        return b''

    def flush(self):
        return zstd_module.compress(b''.join(self._parts), ZSTD_LEVEL)


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
        if _LIBZSTD is not None:
            return _ZstdStreamCompressor(size)
        return _ZstdOneShotCompressor()
    raise CodecError('unknown codec %r' % codec)


class Decompressor:
    """Incremental decompression into pieces of at most ``max_out`` bytes.

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
        self._parts = None
        self._obj = None
        if codec == 'zlib':
            self._obj = zlib.decompressobj()
        elif codec == 'bz2':
            self._obj = bz2.BZ2Decompressor()
        elif codec == 'zstd' and _LIBZSTD is not None:
            self._obj = _LIBZSTD.ZSTD_createDCtx()
            self._out = ctypes.create_string_buffer(max_out)
        elif codec == 'zstd':
            self._parts = []
        elif codec != 'none':
            raise CodecError('unknown codec %r' % codec)

    def __del__(self):
        if self.codec == 'zstd' and self._obj is not None and _LIBZSTD:
            _LIBZSTD.ZSTD_freeDCtx(self._obj)
            self._obj = None

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
            elif self.codec == 'bz2':
                yield from self._feed_bz2(data)
            elif self._parts is not None:
                self._parts.append(bytes(data))
            else:
                yield from self._feed_zstd(bytes(data))
        except (zlib.error, OSError, EOFError) as exc:
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

    def _feed_zstd(self, data):
        inbuf = _in_buffer(data)
        while True:
            out = _ZBuffer(ctypes.cast(self._out, ctypes.c_void_p),
                           self.max_out, 0)
            hint = _zstd_check(_LIBZSTD.ZSTD_decompressStream(
                self._obj, ctypes.byref(out), ctypes.byref(inbuf)))
            if out.pos:
                yield ctypes.string_at(self._out, out.pos)
            if hint == 0:
                # NOTE: 0 means the frame is complete and fully flushed.
                self._eof = True
                self._trailing += inbuf.size - inbuf.pos
                return
            if inbuf.pos == inbuf.size and out.pos < self.max_out:
                return

    def finish(self):
        """Yield what is left; CodecError if the stream did not end."""
        if self.codec == 'none':
            return
        if self._parts is not None:
            try:
                data = zstd_module.decompress(b''.join(self._parts))
            except zstd_module.Error as exc:
                raise CodecError('zstd data is damaged: %s' % exc)
            self._parts = None
            self._eof = True
            yield from self.__class__('none', self.max_out).feed(data)
        if self.codec == 'zstd' and self._parts is None and \
                _LIBZSTD is not None and self._obj is not None:
            _LIBZSTD.ZSTD_freeDCtx(self._obj)
            self._obj = None
        if not self._eof:
            raise CodecError('%s stream is truncated (it does not end)'
                             % self.codec)
        if self._trailing:
            raise CodecError('%d bytes follow the end of the %s stream'
                             % (self._trailing, self.codec))
