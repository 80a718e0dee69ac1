/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Interworking key management (issue 6): a non-3GPP key management message
 * (KMM) of an LMR key management facility, carried opaque in a SIP MESSAGE
 * between an interworking function (IWF) and an MC client or server, and
 * protected end to end with a signalling key (CSK client<->server, SPK
 * server<->server) through the FC 0x51/0x52 keys of TS 33.180 F.1.4.
 * The byte layout (version 1) is specified in docs/interworking.md; this
 * file and that document change together.
 *
 * Layers: iwk.c (the protected body: seal/open), iwk_replay.c (the replay
 * window), iwk_mime.c (the SIP body: multipart/mixed with the mcptt-info XML,
 * the optional MIKEY I_MESSAGE and the protected body), iwk_context.c (the
 * security contexts kept in the keystore). Transport (sofia-sip) is in sip.c.
 */
#ifndef MCSEC_SIP_IWK_H
#define MCSEC_SIP_IWK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcsec/common.h"
#include "mcsec/mikey_sakke.h"

/* ---- the protected body (application/vnd.3gpp.interworking-data) ----------- */

#define IWK_VERSION       1
#define IWK_TYPE_SECURITY 1     /* non-3GPP security message (TS 23.283 10.12) */
#define IWK_KMM_MAX       16384 /* octets of one KMM payload */
#define IWK_URI_MAX       256   /* an identity: 1..255 octets, plus the terminator */
#define IWK_LMR_TYPE_MAX  33    /* an LMR type token: 0..32 octets, plus the terminator */
#define IWK_KEY_BYTES     16    /* the CSK/SPK and both derived keys (128-bit) */
#define IWK_NONCE_BYTES   12
#define IWK_TAG_BYTES     16
#define IWK_HEADER_BYTES  30 /* version..ciphertext length, sent in clear */
/* Inner plaintext: LMR type (1+32), three identities (2+255 each), KMM (4+max). */
#define IWK_PLAINTEXT_MAX (1 + 32 + 3 * (2 + 255) + 4 + IWK_KMM_MAX)
#define IWK_BODY_MAX      (IWK_HEADER_BYTES + IWK_PLAINTEXT_MAX + 2 * IWK_TAG_BYTES)

/* The signalling parameters of TS 23.283 10.12, protected with the payload. */
struct iwk_params {
    char lmr_type[IWK_LMR_TYPE_MAX]; /* e.g. "TETRA", "P25"; "" when not given */
    char kmf_uri[IWK_URI_MAX];       /* URI of the LMR key management functional entity */
    char originator[IWK_URI_MAX];    /* sender: IWF identity or MC service ID */
    char target[IWK_URI_MAX];        /* receiver: MC service ID or IWF identity */
};

/* The clear header. */
struct iwk_header {
    uint8_t version;
    uint8_t type;
    uint32_t key_id;  /* CSK-ID or SPK-ID: its 4 MSBs are the purpose tag (2 or 3) */
    uint64_t time_ms; /* sender's Unix time in milliseconds */
    uint8_t nonce[IWK_NONCE_BYTES];
    uint32_t ct_len;
};

/* The two keys of one signalling key (secret: wipe after use). */
struct iwk_keys {
    uint32_t key_id;
    uint8_t conf[IWK_KEY_BYTES];  /* FC 0x51 */
    uint8_t integ[IWK_KEY_BYTES]; /* FC 0x52 */
};

/*
 * Derives the confidentiality (FC 0x51) and integrity (FC 0x52) keys of a
 * signalling key (TS 33.180 F.1.4): Key = xpk, P0 = kdf_id (the MC service ID
 * of the client end for a CSK; the identity of the server that created an
 * SPK), P1 = key_id. MCSEC_ERR_PURPOSE when key_id's purpose tag is neither
 * CSK (2) nor SPK (3). Out: *k, zeroed on failure. Constant time in xpk.
 */
MCSEC_MUST_CHECK mcsec_err iwk_keys_derive(struct iwk_keys *k, const uint8_t xpk[IWK_KEY_BYTES],
                                           uint32_t key_id, const char *kdf_id);

/*
 * Builds a protected body into out (cap octets, IWK_BODY_MAX always suffices):
 * header with k->key_id, time_ms and nonce (NULL: 12 random octets), the
 * parameters and KMM encrypted with AES-128-GCM under k->conf (AAD: the
 * header), then the GMAC under k->integ over everything before it.
 * MCSEC_ERR_LENGTH / MCSEC_ERR_ARGUMENT for parameters outside their limits
 * (identities 1..255 octets, LMR type [A-Za-z0-9._-]{0,32}, KMM <= IWK_KMM_MAX).
 */
MCSEC_MUST_CHECK mcsec_err iwk_seal(uint8_t *out, size_t cap, size_t *out_len,
                                    const struct iwk_keys *k, uint64_t time_ms,
                                    const uint8_t *nonce, const struct iwk_params *p,
                                    const uint8_t *kmm, size_t kmm_len);

/*
 * Bounded parser of the clear header: version 1, type 1, body length exactly
 * IWK_HEADER_BYTES + ct_len + 2 tags, ct_len <= IWK_PLAINTEXT_MAX.
 * MCSEC_ERR_UNSUPPORTED (other version or type), MCSEC_ERR_LENGTH, MCSEC_ERR_ENCODING.
 * Variable time (public data).
 */
MCSEC_MUST_CHECK mcsec_err iwk_parse_header(struct iwk_header *h, const uint8_t *body, size_t len);

/* What iwk_open recovered. kmm is a copy (secret for the caller: wipe when done). */
struct iwk_opened {
    struct iwk_header h;
    struct iwk_params p;
    size_t kmm_len;
    uint8_t kmm[IWK_KMM_MAX];
};

/*
 * Verifies and decrypts a protected body with k (k->key_id must equal the
 * header's): the integrity tag first, then the GCM tag, then parses the
 * plaintext. MCSEC_ERR_AUTH_TAG when either tag fails, header errors as
 * iwk_parse_header, MCSEC_ERR_ENCODING / MCSEC_ERR_LENGTH for a plaintext
 * that is not well formed. Out: *o, zeroed on every failure; nothing is
 * released before both tags verified. Tag comparison in constant time.
 */
MCSEC_MUST_CHECK mcsec_err iwk_open(struct iwk_opened *o, const struct iwk_keys *k,
                                    const uint8_t *body, size_t len);

/*
 * The plaintext parser on its own (for the fuzz target and iwk_open): fixed
 * order, every length bounded, nothing after the KMM. *kmm points into pt.
 */
MCSEC_MUST_CHECK mcsec_err iwk_parse_plaintext(struct iwk_params *p, const uint8_t **kmm,
                                               size_t *kmm_len, const uint8_t *pt, size_t len);

/* ---- replay protection (iwk_replay.c) ----------------------------------------
 * A message is accepted once: its time must lie within window of the
 * receiver's clock, and (key ID, nonce) must not have been accepted before.
 * Accepted entries are appended to a journal file (fsync) so a restart does
 * not reopen the window. Each entry is journalled with its keep-until (the
 * later of its time and its acceptance, plus the window in force then) and
 * dropped only when that has passed and its time is outside the current
 * window, so a restart with a smaller window does not forget it. */

#define IWK_REPLAY_WINDOW_DEFAULT_MS 60000
#define IWK_REPLAY_MAX_ENTRIES       65536

struct iwk_replay;

/* journal NULL: memory only (tests). MCSEC_ERR_IO, MCSEC_ERR_ENCODING (corrupt journal). */
MCSEC_MUST_CHECK mcsec_err iwk_replay_open(struct iwk_replay **r, const char *journal,
                                           uint64_t window_ms, uint64_t now_ms);
void iwk_replay_close(struct iwk_replay *r);
/* MCSEC_ERR_REPLAY when time_ms is outside now_ms +- window. Checks only. */
MCSEC_MUST_CHECK mcsec_err iwk_replay_check_time(const struct iwk_replay *r, uint64_t time_ms,
                                                 uint64_t now_ms);
/*
 * Records an authenticated message: MCSEC_ERR_REPLAY when (key_id, nonce) was
 * seen or the time is outside the window, MCSEC_ERR_BUSY when the table is
 * full of live entries, MCSEC_ERR_IO when the journal cannot be written (the
 * message must then be refused).
 */
MCSEC_MUST_CHECK mcsec_err iwk_replay_record(struct iwk_replay *r, uint32_t key_id,
                                             const uint8_t nonce[IWK_NONCE_BYTES], uint64_t time_ms,
                                             uint64_t now_ms);

/* ---- the SIP body (iwk_mime.c) ------------------------------------------------ */

#define IWK_CT_MULTIPART "multipart/mixed"
#define IWK_CT_INFO      "application/vnd.3gpp.mcptt-info+xml"
#define IWK_CT_DATA      "application/vnd.3gpp.interworking-data"
#define IWK_CT_MIKEY     "application/mikey"
#define IWK_INFO_MAX     2048
#define IWK_MIKEY_MAX    4096
#define IWK_SIP_BODY_MAX (2 * (IWK_BODY_MAX + IWK_INFO_MAX + IWK_MIKEY_MAX)) /* base64 room */
#define IWK_BOUNDARY_MAX 71

/* The parts of a SIP body; each points into the caller's scratch or body buffer. */
struct iwk_parts {
    const uint8_t *info;
    size_t info_len;
    const uint8_t *mikey; /* NULL when absent */
    size_t mikey_len;
    const uint8_t *data;
    size_t data_len;
};

/*
 * Builds the multipart/mixed body (parts in the order info, mikey, data;
 * the mikey and data parts with Content-Transfer-Encoding binary, or base64
 * when base64 is set, for text-only tools such as SIPp scenarios) with a
 * random boundary that occurs in no part, and the Content-Type header value
 * that goes with it (ct, cap ct_cap).
 */
MCSEC_MUST_CHECK mcsec_err iwk_mime_build(uint8_t *out, size_t cap, size_t *out_len, char *ct,
                                          size_t ct_cap, const struct iwk_parts *parts,
                                          bool base64);

/*
 * Parses a SIP body given its Content-Type header value: multipart/mixed
 * (boundary parameter, quoted or not; parts in any order; each of the three
 * types at most once; transfer encodings binary, 8bit or base64, decoded
 * into scratch) with the info and data parts required.
 * MCSEC_ERR_UNSUPPORTED for another content type or a part of an unknown
 * type, MCSEC_ERR_NOT_FOUND when a required part is missing,
 * MCSEC_ERR_LENGTH (over the limits), MCSEC_ERR_ENCODING (malformed).
 */
MCSEC_MUST_CHECK mcsec_err iwk_mime_parse(struct iwk_parts *parts, uint8_t *scratch,
                                          size_t scratch_cap, const char *content_type,
                                          const uint8_t *body, size_t len);

/*
 * The mcptt-info document (TS 24.379 F.1): <mcpttinfo xmlns="urn:3gpp:ns:mcpttInfo:1.0">
 * <mcptt-Params><mcptt-request-uri type="Normal"><mcpttURI>target</mcpttURI>...
 * and <mcptt-calling-user-id> naming the originator.
 */
MCSEC_MUST_CHECK mcsec_err iwk_info_build(char *out, size_t cap, size_t *out_len,
                                          const char *target, const char *originator);
/*
 * Bounded libxml2 parse (no network, no DTD, no entities); originator may be
 * absent ("") here; the endpoint's receive pipeline refuses that (400).
 */
MCSEC_MUST_CHECK mcsec_err iwk_info_parse(char target[IWK_URI_MAX], char originator[IWK_URI_MAX],
                                          const uint8_t *xml, size_t len);

/* ---- security contexts (iwk_context.c) ----------------------------------------
 * One record per signalling key in an identity's keystore directory
 * (sigctx-<key id as 8 hex>.rec, MAC-protected like every keystore record),
 * and per peer and purpose an index record (sigpeer-<escaped peer>-<csk|spk>.rec)
 * naming the newest context and the previous one: at most two contexts per
 * peer and purpose are kept, and every lookup opens at most two files. */

struct iwk_context {
    uint32_t key_id;            /* CSK-ID or SPK-ID */
    uint8_t key[IWK_KEY_BYTES]; /* the CSK or SPK (secret) */
    char peer[IWK_URI_MAX];     /* the other end */
    char kdf_id[IWK_URI_MAX];   /* P0 of the FC 0x51/0x52 derivation */
    int64_t created;            /* Unix seconds */
    bool confirmed;             /* the peer answered 200 to a MESSAGE under it */
};

/*
 * Writes (atomically, 0600) the context's record under the identity's store
 * key, replacing the record of the same key ID. MCSEC_ERR_ARGUMENT when a
 * record of that key ID exists with another key or peer (a key ID is never
 * reused while its context is kept). A context the peer's index does not
 * name yet joins it: of it and the index's newest, the newer (created, then
 * key ID) becomes the newest, the other the previous, and the record of the
 * former previous is deleted. MCSEC_ERR_AUTH_TAG when the index fails its MAC.
 */
MCSEC_MUST_CHECK mcsec_err iwk_context_save(const char *id_dir, const uint8_t store_key[32],
                                            const struct iwk_context *c);
/* MCSEC_ERR_NOT_FOUND when no context has that key ID; MAC failures are MCSEC_ERR_AUTH_TAG. */
MCSEC_MUST_CHECK mcsec_err iwk_context_by_id(struct iwk_context *c, const char *id_dir,
                                             const uint8_t store_key[32], uint32_t key_id);
/*
 * The newest context with peer of purpose (CSK or SPK), as the peer's index
 * names it. MCSEC_ERR_NOT_FOUND when there is none; MCSEC_ERR_AUTH_TAG when
 * the index or the record fails its MAC; MCSEC_ERR_ENCODING when they disagree.
 */
MCSEC_MUST_CHECK mcsec_err iwk_context_for_peer(struct iwk_context *c, const char *id_dir,
                                                const uint8_t store_key[32], const char *peer,
                                                mcsec_key_purpose purpose);

#endif
