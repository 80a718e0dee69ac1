/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mcsec mikey inspect: decodes a MIKEY message (RFC 3830/6043/6509, TS
 * 33.180 E) with the library codec and prints every field of every payload
 * in wire order. No keys are needed and nothing is verified.
 *
 * Input (--in): the message as base64 (standard alphabet, padding optional,
 * an optional leading "mikey " as in SDP a=key-mgmt), or as hex when the text
 * is only hex digits: the two cannot be confused for a MIKEY message, whose
 * base64 starts with 'A' and whose hex starts with "01". @FILE and @- read
 * the text from a file or standard input (at most INSPECT_MAX_TEXT octets);
 * white space around it is ignored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mcsec/mikey.h"

/* Base64 of the largest message plus room for white space and line breaks. */
#define INSPECT_MAX_TEXT 65536

enum { IN, REENCODE, N_INSPECT_OPTS };

static const struct cli_opt inspect_opts[N_INSPECT_OPTS] = {
    [IN] = {"in", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, INSPECT_MAX_TEXT,
            "the message: base64 (or hex), or @FILE / @- to read it"},
    [REENCODE] = {"reencode", CLI_OPT_FLAG, 0, 0, 0,
                  "also print the codec's canonical re-encoding (reencoded_b64)"},
};

/* ---- input ---------------------------------------------------------------- */

/* Reads @FILE or @- into a fresh buffer of at most INSPECT_MAX_TEXT octets. */
static char *read_text(const char *command, const char *ref, size_t *len)
{
    bool from_stdin = strcmp(ref, "-") == 0;
    FILE *f = from_stdin ? stdin : fopen(ref, "rb");
    if (f == NULL) {
        cli_error(command, "--in: cannot open file: %s", strerror(errno));
        return NULL;
    }
    char *buf = malloc(INSPECT_MAX_TEXT + 1);
    size_t n = buf != NULL ? fread(buf, 1, INSPECT_MAX_TEXT + 1, f) : 0;
    bool bad = buf == NULL || ferror(f) || n > INSPECT_MAX_TEXT;
    if (!from_stdin)
        fclose(f);
    if (bad) {
        cli_error(command, "--in: %s",
                  n > INSPECT_MAX_TEXT ? "input is too large" : "cannot read the input");
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static bool all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

/* Text (base64 or hex) to message octets; prints the reason on failure. */
static int decode_text(const char *command, uint8_t *out, size_t cap, size_t *out_len,
                       const char *text, size_t len)
{
    const char *s = cli_trim(text, &len);
    if (len >= 6 && memcmp(s, "mikey ", 6) == 0) {
        s += 6;
        len -= 6;
        s = cli_trim(s, &len);
    }
    mcsec_err err;
    if (all_hex(s, len))
        err = cli_hex_decode(out, cap, out_len, s, len);
    else
        err = mcsec_base64_decode(out, cap, out_len, s, len);
    if (err == MCSEC_ERR_LENGTH) {
        cli_error(command, "--in: longer than %d octets", MCSEC_MIKEY_MAX_MESSAGE_BYTES);
        return CLI_EXIT_USAGE;
    }
    if (err != MCSEC_OK) {
        cli_error(command, "--in: neither base64 nor hex");
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* ---- output --------------------------------------------------------------- */

static const char *role_name(uint8_t role)
{
    static const char *const names[] = {"",       "IDRi",    "IDRr",    "IDRkms",  "IDRpsk",
                                        "IDRapp", "IDRkmsi", "IDRkmsr", "IDRuidi", "IDRuidr"};
    return role < sizeof names / sizeof names[0] ? names[role] : "";
}

static bool printable(struct mcsec_mikey_view v)
{
    for (size_t i = 0; i < v.len; i++)
        if (v.data[i] < 0x20 || v.data[i] > 0x7e)
            return false;
    return v.len > 0;
}

static void json_view(struct cli_json *j, const char *key, struct mcsec_mikey_view v)
{
    cli_json_hex(j, key, v.data, v.len);
}

static void print_hdr(struct cli_json *j, const struct mcsec_mikey_hdr *h, uint8_t next)
{
    uint8_t csb[4] = {(uint8_t)(h->csb_id >> 24), (uint8_t)(h->csb_id >> 16),
                      (uint8_t)(h->csb_id >> 8), (uint8_t)h->csb_id};
    cli_json_object_begin(j, NULL);
    cli_json_cstring(j, "type", "HDR");
    cli_json_u64(j, "version", h->version);
    cli_json_u64(j, "data_type", h->data_type);
    cli_json_u64(j, "next_payload", next);
    cli_json_bool(j, "v", h->v_flag);
    cli_json_u64(j, "prf_func", h->prf_func);
    cli_json_hex(j, "csb_id", csb, sizeof csb);
    cli_json_u64(j, "n_cs", h->n_cs);
    cli_json_u64(j, "cs_id_map_type", h->cs_map_type);
    cli_json_array_begin(j, "cs");
    for (size_t i = 0; i < h->n_cs && h->cs_map_type != MCSEC_MIKEY_MAP_EMPTY; i++) {
        const struct mcsec_mikey_cs *cs = &h->cs[i];
        cli_json_object_begin(j, NULL);
        if (h->cs_map_type == MCSEC_MIKEY_MAP_SRTP_ID) {
            cli_json_u64(j, "policy_no", cs->policy_no);
            cli_json_u64(j, "ssrc", cs->ssrc);
            cli_json_u64(j, "roc", cs->roc);
        } else {
            cli_json_u64(j, "cs_id", cs->cs_id);
            cli_json_u64(j, "prot_type", cs->prot_type);
            cli_json_bool(j, "s", cs->s_flag);
            json_view(j, "policies", cs->policies);
            json_view(j, "session_data", cs->session_data);
            json_view(j, "spi", cs->spi);
        }
        cli_json_object_end(j);
    }
    cli_json_array_end(j);
    cli_json_object_end(j);
}

static void print_sakke_fields(struct cli_json *j, const struct mcsec_mikey_sakke *s)
{
    cli_json_u64(j, "params", s->params);
    cli_json_u64(j, "id_scheme", s->id_scheme);
    json_view(j, "data", s->data);
}

static void print_ext(struct cli_json *j, const struct mcsec_mikey_ext *e)
{
    cli_json_u64(j, "ext_type", e->type);
    json_view(j, "data", e->data);
    struct mcsec_mikey_sakke s;
    if (e->type == MCSEC_MIKEY_EXT_SAKKE_TO_SELF &&
        mcsec_mikey_sakke_parse(&s, e->data.data, e->data.len) == MCSEC_OK) {
        cli_json_object_begin(j, "sakke");
        print_sakke_fields(j, &s);
        cli_json_object_end(j);
    }
}

static void print_sp(struct cli_json *j, const struct mcsec_mikey_sp *sp)
{
    cli_json_u64(j, "policy_no", sp->policy_no);
    cli_json_u64(j, "prot_type", sp->prot_type);
    cli_json_array_begin(j, "params");
    for (size_t i = 0; i < sp->n_params; i++) {
        cli_json_object_begin(j, NULL);
        cli_json_u64(j, "type", sp->params[i].type);
        json_view(j, "value", sp->params[i].value);
        cli_json_object_end(j);
    }
    cli_json_array_end(j);
}

static void print_idr(struct cli_json *j, const struct mcsec_mikey_idr *idr)
{
    cli_json_u64(j, "role", idr->role);
    cli_json_cstring(j, "role_name", role_name(idr->role));
    cli_json_u64(j, "id_type", idr->id_type);
    json_view(j, "id", idr->id);
    if (printable(idr->id))
        cli_json_string(j, "id_text", (const char *)idr->id.data, idr->id.len);
}

struct walk {
    size_t idr, sp, ext;
};

static void print_payload(struct cli_json *j, const struct mcsec_mikey_msg *m, size_t i,
                          struct walk *k)
{
    uint8_t type = m->order[i];
    uint8_t next = i + 1 < m->n_order ? m->order[i + 1]
                   : m->has_sign      ? MCSEC_MIKEY_PT_SIGN
                                      : MCSEC_MIKEY_PT_LAST;
    cli_json_object_begin(j, NULL);
    cli_json_cstring(j, "type", mcsec_mikey_payload_name(type));
    cli_json_u64(j, "next_payload", next);
    switch (type) {
    case MCSEC_MIKEY_PT_T: {
        uint8_t v[8];
        for (int b = 0; b < 8; b++)
            v[b] = (uint8_t)(m->t.ts_value >> (56 - 8 * b));
        cli_json_u64(j, "ts_type", m->t.ts_type);
        /* COUNTER values are 4 octets on the wire. */
        if (m->t.ts_type == MCSEC_MIKEY_TS_COUNTER)
            cli_json_hex(j, "ts_value", v + 4, 4);
        else
            cli_json_hex(j, "ts_value", v, 8);
        if (m->t.ts_type != MCSEC_MIKEY_TS_COUNTER)
            cli_json_u64(j, "ntp_seconds", m->t.ts_value >> 32);
        break;
    }
    case MCSEC_MIKEY_PT_RAND: json_view(j, "rand", m->rand); break;
    case MCSEC_MIKEY_PT_IDR: print_idr(j, &m->idr[k->idr++]); break;
    case MCSEC_MIKEY_PT_SP: print_sp(j, &m->sp[k->sp++]); break;
    case MCSEC_MIKEY_PT_SAKKE: print_sakke_fields(j, &m->sakke); break;
    case MCSEC_MIKEY_PT_GEXT: print_ext(j, &m->ext[k->ext++]); break;
    default: break;
    }
    cli_json_object_end(j);
}

static void print_sign(struct cli_json *j, const struct mcsec_mikey_msg *m)
{
    const struct mcsec_mikey_view sig = m->sign.signature;
    cli_json_object_begin(j, NULL);
    cli_json_cstring(j, "type", "SIGN");
    cli_json_u64(j, "s_type", m->sign.s_type);
    cli_json_u64(j, "signature_len", sig.len);
    json_view(j, "signature", sig);
    /* ECCSI (RFC 6507): r (32) || s (32) || PVT (65). */
    if (m->sign.s_type == MCSEC_MIKEY_SIGN_ECCSI && sig.len == 129) {
        cli_json_hex(j, "r", sig.data, 32);
        cli_json_hex(j, "s", sig.data + 32, 32);
        cli_json_hex(j, "pvt", sig.data + 64, 65);
    }
    cli_json_object_end(j);
}

static void print_msg(struct cli_json *j, const struct mcsec_mikey_msg *m)
{
    struct walk k = {0, 0, 0};
    cli_json_u64(j, "length", m->raw.len);
    cli_json_u64(j, "signed_len", m->signed_len);
    cli_json_array_begin(j, "payloads");
    print_hdr(j, &m->hdr,
              m->n_order > 0 ? m->order[0]
                             : (m->has_sign ? MCSEC_MIKEY_PT_SIGN : MCSEC_MIKEY_PT_LAST));
    for (size_t i = 0; i < m->n_order; i++)
        print_payload(j, m, i, &k);
    if (m->has_sign)
        print_sign(j, m);
    cli_json_array_end(j);
}

/* The encoder's output for the parsed struct (equal to the input: accepted means canonical). */
static int print_reencoded(struct cli_run *r, const struct mcsec_mikey_msg *m)
{
    static uint8_t out[MCSEC_MIKEY_MAX_MESSAGE_BYTES];
    static char b64[MCSEC_BASE64_ENCODED_LEN(MCSEC_MIKEY_MAX_MESSAGE_BYTES) + 1];
    size_t n = 0, b = 0;
    mcsec_err err = mcsec_mikey_encode(out, sizeof out, &n, m);
    if (err == MCSEC_OK)
        err = mcsec_base64_encode(b64, sizeof b64, &b, out, n);
    if (err != MCSEC_OK)
        return cli_lib_error(r->command, "re-encoding", err);
    cli_json_string(r->out, "reencoded_b64", b64, b);
    return CLI_EXIT_OK;
}

static int run_inspect(struct cli_run *r)
{
    const struct cli_value *in = &r->v[IN];
    char *file = NULL;
    const char *text = in->text;
    size_t len = in->len;
    if (text[0] == '@') {
        file = read_text(r->command, text + 1, &len);
        if (file == NULL)
            return CLI_EXIT_USAGE;
        text = file;
    }
    static uint8_t msg[MCSEC_MIKEY_MAX_MESSAGE_BYTES];
    static struct mcsec_mikey_msg m;
    size_t n = 0;
    int status = decode_text(r->command, msg, sizeof msg, &n, text, len);
    free(file);
    if (status != CLI_EXIT_OK)
        return status;
    mcsec_err err = mcsec_mikey_parse(&m, msg, n);
    if (err != MCSEC_OK)
        return cli_lib_error(r->command, "MIKEY message", err);
    print_msg(r->out, &m);
    if (r->v[REENCODE].present)
        return print_reencoded(r, &m);
    return CLI_EXIT_OK;
}

const struct cli_command cli_mikey_inspect_commands[] = {
    {"mikey", "inspect", "decode a MIKEY message and print every payload field (no keys needed)",
     inspect_opts, N_INSPECT_OPTS, run_inspect},
    {NULL, NULL, NULL, NULL, 0, NULL},
};
