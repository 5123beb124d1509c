"""Reference vectors for effect-anyio's text codecs, from CPython's incremental codecs.

Run: source /work/anyio-env.sh && python3 test/reference/codecs.py > test/fixtures/codecs.json

Each decode case feeds the chunks to codecs.getincrementaldecoder(encoding)(errors) one by one,
then decode(b"", final=True); it records every output, or the error message where one is raised
(and stops there). Each encode case feeds the texts to the incremental encoder the same way.
"""

import codecs
import json

SINGLE_BYTE = [
    "cp1250", "cp1251", "cp1252", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
    "cp1258", "iso8859-2", "iso8859-3", "iso8859-4", "iso8859-5", "iso8859-6",
    "iso8859-7", "iso8859-8", "iso8859-10", "iso8859-13", "iso8859-14", "iso8859-15",
    "koi8-r", "koi8-u", "mac-roman", "latin-1", "ascii",
]
MODES = ["strict", "replace", "ignore"]

DECODE = [
    ("utf-8", ["c3a5c3a4c3", "b6"]),
    ("utf-8", ["e5e4f6"]),
    ("utf-8", ["f09f", "98", "80", "41"]),
    ("utf-8", ["41e282"]),
    ("utf-8", ["eda080"]),
    ("utf-8", ["f4908080"]),
    ("utf-8", ["c0af41"]),
    ("utf-8", ["e08080"]),
    ("utf-8", ["efbbbf41"]),
    ("utf-8", ["61806200ff63"]),
    ("utf-8", ["f09f98", "41"]),
    ("utf-8", ["e2", "82", "ac"]),
    ("utf-8", ["f5", "80"]),
    ("utf-8-sig", ["efbbbf41efbbbf"]),
    ("utf-8-sig", ["ef", "bb", "bf", "41"]),
    ("utf-8-sig", ["ef", "41"]),
    ("utf-8-sig", ["41"]),
    ("utf-16-le", ["61003d", "d800de"]),
    ("utf-16-le", ["00d84100"]),
    ("utf-16-le", ["00dc4100"]),
    ("utf-16-le", ["4100", "42"]),
    ("utf-16-le", ["41003dd8"]),
    ("utf-16-le", ["fffe4100"]),
    ("utf-16-be", ["0061d83d", "de00"]),
    ("utf-16-be", ["d8000041"]),
    ("utf-16-be", ["dc000041"]),
    ("utf-16-be", ["0041d8"]),
    ("utf-16", ["fffe4100"]),
    ("utf-16", ["feff0041"]),
    ("utf-16", ["4100"]),
    ("utf-16", ["ff", "fe41", "00"]),
    ("utf-16", ["fffe", "3dd8", "00de"]),
] + [(name, [bytes(range(256)).hex()]) for name in SINGLE_BYTE] + [
    ("ascii", ["41c3a542"]),
    ("cp1252", ["80819f41"]),
]

ENCODE = [
    ("utf-8", ["åäö€", "😀"]),
    ("utf-8", ["a\ud800b"]),
    ("utf-8", ["\udc00"]),
    ("utf-8-sig", ["a", "b"]),
    ("utf-16", ["a", "b"]),
    ("utf-16-le", ["a😀"]),
    ("utf-16-be", ["a😀"]),
    ("utf-16-le", ["x\ud83d"]),
    ("latin-1", ["åäö"]),
    ("latin-1", ["a€b"]),
    ("latin-1", ["😀"]),
    ("ascii", ["abc", "aåb"]),
    ("cp1252", ["€‚ƒ", "a\u0081b"]),
    ("koi8-r", ["абв"]),
    ("iso8859-7", ["αβγ€"]),
    ("mac-roman", ["é∞"]),
]


def decode_case(encoding, errors, chunks):
    dec = codecs.getincrementaldecoder(encoding)(errors)
    out = []
    try:
        for chunk in chunks:
            out.append(dec.decode(bytes.fromhex(chunk)))
        out.append(dec.decode(b"", final=True))
    except UnicodeError as exc:
        return {"outputs": out, "error": str(exc)}
    return {"outputs": out}


def encode_case(encoding, errors, texts):
    enc = codecs.getincrementalencoder(encoding)(errors)
    out = []
    try:
        for text in texts:
            out.append(enc.encode(text).hex())
    except UnicodeError as exc:
        return {"outputs": out, "error": str(exc)}
    return {"outputs": out}


result = {
    "names": {
        name: codecs.lookup(name).name
        for name in [
            "UTF-8", "utf8", "U8", "utf_8_sig", "UTF-16", "utf-16le", "UTF_16_BE",
            "latin1", "ISO-8859-1", "iso8859_15", "latin9", "us-ascii", "windows-1252",
            "cp1251", "KOI8-R", "macroman", "latin2",
        ]
    },
    "decode": [
        {"encoding": e, "errors": m, "chunks": c, **decode_case(e, m, c)}
        for e, c in DECODE
        for m in MODES
    ],
    "encode": [
        {"encoding": e, "errors": m, "texts": t, **encode_case(e, m, t)}
        for e, t in ENCODE
        for m in MODES
    ],
}
print(json.dumps(result, ensure_ascii=True, indent=0))
