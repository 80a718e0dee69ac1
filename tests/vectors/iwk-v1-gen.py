# SPDX-License-Identifier: Apache-2.0
# Generates tests/vectors/iwk-v1.txt independently of mcsec (Python hmac + cryptography AESGCM):
#   python3 tests/vectors/iwk-v1-gen.py > tests/vectors/iwk-v1.txt
import hmac, hashlib, struct
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

def kdf(key, fc, p0, p1):
    s = bytes([fc]) + p0 + struct.pack(">H", len(p0)) + p1 + struct.pack(">H", len(p1))
    return hmac.new(key, s, hashlib.sha256).digest()[-16:]

def body(xpk, key_id, kdf_id, t, nonce, lmr, kmf, orig, target, kmm):
    kc = kdf(xpk, 0x51, kdf_id.encode(), struct.pack(">I", key_id))
    ki = kdf(xpk, 0x52, kdf_id.encode(), struct.pack(">I", key_id))
    pt = bytes([len(lmr)]) + lmr.encode()
    for s in (kmf, orig, target):
        pt += struct.pack(">H", len(s)) + s.encode()
    pt += struct.pack(">I", len(kmm)) + kmm
    hdr = bytes([1, 1]) + struct.pack(">IQ", key_id, t) + nonce + struct.pack(">I", len(pt))
    ct_tag = AESGCM(kc).encrypt(nonce, pt, hdr)
    itag = AESGCM(ki).encrypt(nonce, b"", hdr + ct_tag)
    return kc, ki, hdr + ct_tag + itag

cases = [
    ("iwk-v1-empty-kmm", "a CSK, no LMR type, empty KMM",
     bytes(range(0x00, 0x10)), 0x2000abcd, "sip:ue1@mcx.example", 1700000000000,
     bytes.fromhex("000102030405060708090a0b"), "", "sip:kmf@lmr.example",
     "sip:iwf@lmr.example", "sip:ue1@mcx.example", b""),
    ("iwk-v1-tetra", "a CSK, LMR type TETRA, 16-octet KMM",
     bytes.fromhex("f0e1d2c3b4a5968778695a4b3c2d1e0f"), 0x2abcdef0, "sip:ue2@mcx.example",
     1767225600123, bytes.fromhex("cafebabedeadbeef01234567"), "TETRA",
     "sip:kmf@tetra.example", "sip:ue2@mcx.example", "sip:iwf@tetra.example",
     bytes.fromhex("00112233445566778899aabbccddeeff")),
    ("iwk-v1-p25-spk", "an SPK between servers, LMR type P25, 300-octet KMM (octet i = i mod 256)",
     bytes.fromhex("00112233445566778899aabbccddeeff"), 0x30000001, "sip:iwf@p25.example",
     1767225600999, bytes.fromhex("ffeeddccbbaa998877665544"), "P25",
     "sip:kmf@p25.example", "sip:iwf@p25.example", "sip:mcx-server@mcx.example",
     bytes(i % 256 for i in range(300))),
]
print("# SPDX-License-Identifier: Apache-2.0")
print("# Test vectors of the mcsec interworking protected body, version 1 (docs/interworking.md).")
print("# Computed independently of mcsec with Python: hmac/hashlib for the TS 33.220 KDF")
print("# (HMAC-SHA-256(xpk, FC || kdf_id || L0 || key_id || L1), last 16 octets) and")
print("# cryptography's AESGCM for both tags. key_id and time_ms are hex (4 and 8 octets).")
for name, note, xpk, kid, kdf_id, t, nonce, lmr, kmf, orig, target, kmm in cases:
    kc, ki, b = body(xpk, kid, kdf_id, t, nonce, lmr, kmf, orig, target, kmm)
    print()
    print("# name: " + name)
    print("# source: computed for mcsec (Python hmac + cryptography AESGCM)")
    print("# note: " + note)
    print("xpk = " + xpk.hex())
    print("key_id = %08x" % kid)
    print('kdf_id = "%s"' % kdf_id)
    print("k_conf = " + kc.hex())
    print("k_int = " + ki.hex())
    print("time_ms = %016x" % t)
    print("nonce = " + nonce.hex())
    print('lmr_type = "%s"' % lmr)
    print('kmf_uri = "%s"' % kmf)
    print('originator = "%s"' % orig)
    print('target = "%s"' % target)
    print("kmm = " + (kmm.hex() if kmm else "\"\""))
    print("body = " + b.hex())
