#!/usr/bin/env python3
"""Checks that files are complete, valid PNG images of a given size (standard library only).

    check_png.py WIDTH HEIGHT FILE...

Reads each file's chunks: the PNG signature, a 13-byte IHDR first, every chunk's CRC, one or more IDAT
chunks whose zlib stream inflates to exactly the bytes the header implies (filter byte + packed rows;
non-interlaced images), and IEND last. Prints one line per file and exits 1 if any file fails.
"""
import struct
import sys
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type -> samples per pixel


def check(path: str, width: int, height: int) -> str | None:
    """Returns None when the file is a valid WIDTH x HEIGHT PNG, else why not."""
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(SIGNATURE):
        return "no PNG signature"
    pos, chunks, idat = len(SIGNATURE), [], b""
    header = None
    while pos < len(data):
        if pos + 8 > len(data):
            return f"truncated chunk header at byte {pos}"
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length or pos + 12 + length > len(data):
            return f"truncated {kind!r} chunk"
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            return f"bad CRC in {kind!r} chunk"
        chunks.append(kind)
        if kind == b"IHDR":
            if length != 13:
                return "IHDR is not 13 bytes"
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    if not chunks or chunks[0] != b"IHDR" or header is None:
        return "IHDR is not the first chunk"
    if chunks[-1] != b"IEND":
        return "IEND is not the last chunk"
    w, h, depth, colour, _, _, interlace = header
    if (w, h) != (width, height):
        return f"{w}x{h}, expected {width}x{height}"
    if colour not in CHANNELS or interlace != 0:
        return f"unexpected colour type {colour} or interlace {interlace}"
    try:
        raw = zlib.decompress(idat)
    except zlib.error as e:
        return f"IDAT does not inflate: {e}"
    row = (w * CHANNELS[colour] * depth + 7) // 8
    if len(raw) != h * (1 + row):
        return f"IDAT inflates to {len(raw)} bytes, expected {h * (1 + row)}"
    if any(raw[r * (1 + row)] > 4 for r in range(h)):
        return "bad row filter type"
    return None


def main(argv: list[str]) -> int:
    if len(argv) < 4:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    width, height, failed = int(argv[1]), int(argv[2]), 0
    for path in argv[3:]:
        try:
            why = check(path, width, height)
        except OSError as e:
            why = str(e)
        print(f"{path}: {'ok' if why is None else why}")
        failed += why is not None
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
