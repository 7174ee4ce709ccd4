"""Decoding images in a child process, so that a deadline really stops the decoder and its memory is capped.

The server decodes every upload through a `DecodeProcess`, never in its own process: a decode that runs past
its deadline, or whose caller is cancelled (the client left), ends when its process is killed, and on Linux the
child's address space is capped per decode, so a few bytes that expand in a decoder (JPEG 2000 tiles, say) fail
instead of taking the server's memory. The child is `python -m emopy.decode_process FD MAX_PIXELS`: it imports
OpenCV once, then answers requests over the socket FD, one at a time, until the server closes the socket.

Protocol (all integers big-endian): the child sends READY once; a request is an 8-byte length and the encoded
bytes; the answer is OK, height, width and channels (4 bytes each) and the BGR pixels, or FAILED, an 8-byte length
and the error message (UTF-8).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import struct
import subprocess
import sys

import numpy as np

from .errors import DecodeTimeout, ImageDecodeError

BYTES_PER_PIXEL = 10  # a decode's memory per pixel of the limit: OpenCV's image and its numpy copy take 6 for most
# formats, progressive 4:4:4 JPEG 9; colour JPEG 2000 needs 15, so it decodes up to ~33 MP at the default limit
READY, OK, FAILED = b"R", b"O", b"F"
_LENGTH = struct.Struct("!Q")
_SHAPE = struct.Struct("!III")


class DecodeProcess:
    """A child process that decodes images one at a time; killed when a decode overruns or its caller is cancelled."""

    def __init__(self, max_pixels: int) -> None:
        ours, theirs = socket.socketpair()
        env = {**os.environ, "MALLOC_ARENA_MAX": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "emopy.decode_process", str(theirs.fileno()), str(max_pixels)],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            env=env,  # one malloc arena and one thread: the address-space cap then measures the decode
        )
        theirs.close()
        ours.setblocking(False)
        self.sock, self._started = ours, False

    @property
    def alive(self) -> bool:
        """Whether the child can take another image."""
        return self.proc.poll() is None

    async def decode(self, data: bytes, size: tuple[int, int], timeout: float) -> np.ndarray:
        """The BGR image of `data`, whose header said `size` (width, height) within the pixel limit.

        Raises DecodeTimeout past `timeout` seconds and ImageDecodeError for what the child cannot decode (or when
        it dies); on a timeout, a cancellation or a broken exchange the child is killed.
        """
        try:
            if not self._started:  # the child's imports are not the image's fault: outside its deadline
                await self._read(len(READY))
                self._started = True
            async with asyncio.timeout(timeout):
                answer = await self._exchange(data, size)
        except TimeoutError:
            self.kill()
            raise DecodeTimeout(
                f"decoding the image took longer than {timeout:g} s (EMOPY_DECODE_TIMEOUT_S); it was stopped"
            ) from None
        except OSError:  # the socket broke: the child died
            self.kill()
            raise ImageDecodeError(
                f"the decoder process ended ({_ended(self.proc.returncode)}) before answering"
            ) from None
        except BaseException:
            self.kill()
            raise
        if isinstance(answer, str):  # the child's own refusal: it lives on
            raise ImageDecodeError(answer)
        return answer

    async def _exchange(self, data: bytes, size: tuple[int, int]) -> np.ndarray | str:
        """The image, or the child's message saying why it cannot decode it."""
        loop = asyncio.get_running_loop()
        await loop.sock_sendall(self.sock, _LENGTH.pack(len(data)))
        await loop.sock_sendall(self.sock, data)
        if await self._read(1) == FAILED:
            (length,) = _LENGTH.unpack(await self._read(_LENGTH.size))
            return (await self._read(length)).decode()
        height, width, channels = _SHAPE.unpack(await self._read(_SHAPE.size))
        if (width, height) not in (size, size[::-1]) or channels != 3:  # EXIF orientation may swap the two
            raise ImageDecodeError(f"the decoder made a {width}x{height}x{channels} image of a {size[0]}x{size[1]} one")
        image = np.empty((height, width, channels), np.uint8)
        await self._read_into(image.data.cast("B"))
        return image

    async def _read(self, n: int) -> bytes:
        buf = bytearray(n)
        await self._read_into(memoryview(buf))
        return bytes(buf)

    async def _read_into(self, view: memoryview) -> None:
        loop, got = asyncio.get_running_loop(), 0
        while got < len(view):
            n = await loop.sock_recv_into(self.sock, view[got:])
            if not n:
                raise ConnectionResetError("the decoder process closed its socket")
            got += n

    def kill(self) -> None:
        """End the child now (SIGKILL) and reap it."""
        if self.alive:
            self.proc.kill()
            self.proc.wait()
        self.sock.close()


def _ended(code: int) -> str:
    return f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"


def _cap_memory(extra: int | None) -> None:
    """Cap this process's address space at what it maps now plus `extra` bytes (None: no cap). Linux only."""
    if sys.platform != "linux":
        return
    import resource

    with open("/proc/self/statm") as statm:
        mapped = int(statm.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(
        resource.RLIMIT_AS, (resource.RLIM_INFINITY if extra is None else mapped + extra, resource.RLIM_INFINITY)
    )


def _recv(sock: socket.socket, n: int) -> bytes | None:
    """Exactly n bytes, or None once the server has closed the socket."""
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = sock.recv_into(view[got:])
        if not k:
            return None
        got += k
    return bytes(buf)


def main() -> None:
    """The child: decode each image the server sends, until it closes the socket."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the server ends us
    import cv2

    from .imageio import UNREADABLE, decode_image

    cv2.setNumThreads(0)  # one thread: a decode's memory and CPU are what the caps and the deadline see
    sock = socket.socket(fileno=int(sys.argv[1]))
    max_pixels = int(sys.argv[2])
    allowance = BYTES_PER_PIXEL * max_pixels  # bytes a decode may map on top of what this process holds already
    sock.sendall(READY)
    while True:
        head = _recv(sock, _LENGTH.size)
        data = head and _recv(sock, _LENGTH.unpack(head)[0])
        if not data:  # the server closed the socket
            return
        _cap_memory(allowance)
        try:
            image = decode_image(data, max_pixels=max_pixels)
        except ImageDecodeError as exc:
            why = str(exc)
            if why == UNREADABLE:
                why += (
                    f", or one that needs over {allowance // 10**6} MB to decode "
                    f"({BYTES_PER_PIXEL} bytes per pixel of EMOPY_MAX_PIXELS)"
                )
            message = why.encode()
            sock.sendall(FAILED + _LENGTH.pack(len(message)) + message)
            continue
        finally:
            _cap_memory(None)
            del data
        sock.sendall(OK + _SHAPE.pack(*image.shape))
        sock.sendall(image.data)
        del image


if __name__ == "__main__":
    main()
