"""Decode uploaded text files whatever their encoding, and say which encoding was used.

Reference managers write UTF-8, UTF-16 with a byte-order mark (EndNote on Windows), Latin-1 or
Windows-1252 (older Zotero and RefWorks exports) and GBK (Chinese reference managers). A byte-order
mark or valid UTF-8 settles it; otherwise charset-normalizer, a maintained detector, chooses the
encoding from the bytes, and the caller reports its choice so a person can check the accents.
"""
from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from app.bibliography.errors import FormatError

__all__ = ["decode_text", "encoding_label"]

# The encodings reference files are written in besides UTF-8 and UTF-16. Central European Windows-1250
# is left out on purpose: on short Western texts the detector prefers it and garbles "Ñ" or "ø".
_CANDIDATES = ("cp1252", "latin_1", "gb18030", "big5", "shift_jis", "euc_kr", "cp1251")

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_LABELS = {"utf_8": "UTF-8", "utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf_16": "UTF-16", "utf-16": "UTF-16",
           "utf_32": "UTF-32", "utf-32": "UTF-32", "latin_1": "Latin-1 (ISO-8859-1)",
           "iso8859_1": "Latin-1 (ISO-8859-1)",
           "cp1252": "Windows-1252", "gbk": "GBK", "gb2312": "GB2312", "gb18030": "GBK (GB18030)", "big5": "Big5",
           "ascii": "ASCII", "cp1250": "Windows-1250", "cp1251": "Windows-1251", "iso8859_15": "Latin-9 (ISO-8859-15)",
           "shift_jis": "Shift JIS", "euc_kr": "EUC-KR", "mac_roman": "Mac Roman"}


def encoding_label(name: str) -> str:
    """Return an encoding's usual name, e.g. "Windows-1252" for "cp1252"."""
    return _LABELS.get(codecs.lookup(name).name.replace("-", "_"), _LABELS.get(name, name.upper()))


_HIGH_RUN = re.compile(rb"[\x80-\xff]+")


def _mostly_isolated_high_bytes(data: bytes) -> bool:
    """Tell whether non-ASCII bytes come one at a time, as accents do in a Western single-byte file.

    Multi-byte encodings (GBK, Big5, Shift JIS) and whole words in Cyrillic come in runs; a detector
    guesses poorly on a few accented names, so those are read as Windows-1252 directly.
    """
    runs = [len(run) for run in _HIGH_RUN.findall(data)]
    return bool(runs) and sum(runs) / len(runs) < 1.5


def decode_text(data: bytes | str) -> tuple[str, str]:
    """Return the text of `data` and the name of the encoding it was read with; raise FormatError if unreadable."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff"), "UTF-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name).removeprefix("\ufeff"), encoding_label(name)
            except UnicodeDecodeError:
                label = encoding_label(name)
                raise FormatError(f"The file starts as {label} but is not valid {label}") from None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    if _mostly_isolated_high_bytes(data):
        try:
            return data.decode("cp1252"), encoding_label("cp1252")
        except UnicodeDecodeError:
            pass
    best = from_bytes(data, cp_isolation=list(_CANDIDATES)).best()
    if best is None or best.encoding is None:
        raise FormatError("The file is not text in any encoding Postil recognises (is it a reference file?)")
    text = str(best)
    if best.encoding != "cp1252":
        # Western files are far more common: when Windows-1252 reads the same text, name it.
        try:
            if data.decode("cp1252") == text:
                return text, encoding_label("cp1252")
        except UnicodeDecodeError:
            pass
    return text, encoding_label(best.encoding)
