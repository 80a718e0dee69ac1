/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SIP transport of interworking key management (issue 6): a thin shell
 * over sofia-sip's nua that receives and sends SIP MESSAGE requests
 * (RFC 3428) and knows nothing about their bodies. What a MESSAGE means is
 * decided by the caller (endpoint.h); this layer only carries the
 * Content-Type value and the body octets, and the SIP status back.
 *
 * Transport choice: requests are always sent over TCP (";transport=tcp" is
 * added to a request URI that names no transport), since a protected KMM
 * can reach 17 KB and RFC 3428 asks for a congestion-controlled transport
 * above ~1300 octets. The server listens on UDP and TCP on the same port.
 */
#ifndef MCSEC_SIP_SIP_H
#define MCSEC_SIP_SIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcsec/common.h"

/* Largest SIP message sofia-sip accepts from the network; bigger ones it refuses itself. */
#define SIP_MSG_MAXSIZE    (256u * 1024u)
#define SIP_REASON_MAX     128
#define SIP_SEND_TIMEOUT_S 10

/* The answer the application gives to one MESSAGE. */
struct sip_answer {
    int status;         /* 200..699 */
    const char *reason; /* reason phrase (static or owned by the handler until it returns) */
    const char *accept; /* Accept header value (415), or NULL */
};

/*
 * Called once per received MESSAGE with its Content-Type value (parameters
 * included; NULL when the header is absent) and body (len 0 when empty).
 * Fills *a; the request is answered with it once the handler returns.
 */
typedef void (*sip_message_fn)(void *ctx, struct sip_answer *a, const char *content_type,
                               const uint8_t *body, size_t len);

struct sip_server_cfg {
    const char *listen; /* SIP URI to bind, e.g. "sip:127.0.0.1:5070" (UDP and TCP) */
    uint64_t count;     /* stop after answering this many MESSAGEs; 0: no limit */
    sip_message_fn on_message;
    void *ctx;
};

/* What a server did, final once sip_serve returned. */
struct sip_serve_stats {
    uint64_t answered;    /* MESSAGEs given to on_message (and answered with its status) */
    uint64_t unavailable; /* MESSAGEs that came after the stop: 503, on_message not called */
};

/*
 * Serves MESSAGE requests until SIGINT or SIGTERM arrives or cfg->count
 * MESSAGEs were answered (other methods are answered 405 by sofia-sip).
 * From the stop on, no MESSAGE reaches on_message: those still queued or
 * arriving while sofia-sip shuts down are answered 503 Service Unavailable.
 * Prints "listening on URI" to stderr once bound. *st gets the counts.
 * MCSEC_ERR_IO when the URI cannot be bound (msg says why).
 * Signal handlers for SIGINT/SIGTERM are installed for the duration and restored.
 */
MCSEC_MUST_CHECK mcsec_err sip_serve(const struct sip_server_cfg *cfg, struct sip_serve_stats *st,
                                     char *msg, size_t msg_cap);

/*
 * True once SIGINT or SIGTERM arrived during sip_serve: an on_message that
 * waits for something (a sink process) polls it to give up promptly.
 * Async-signal-safe to read.
 */
bool sip_stop_requested(void);

struct sip_send_req {
    const char *request_uri;  /* where to send: "sip:127.0.0.1:5070" (TCP is added) */
    const char *from;         /* our identity (From, P-Asserted-Identity) */
    const char *to;           /* the receiver's identity (To) */
    const char *content_type; /* Content-Type value */
    const uint8_t *body;      /* binary safe */
    size_t len;
    unsigned timeout_s; /* 0: SIP_SEND_TIMEOUT_S */
};

/*
 * Sends one MESSAGE with the MCPTT headers of docs/interworking.md and waits
 * for its final response: *status and reason (cap SIP_REASON_MAX) get it.
 * A transport failure is a status too (sofia-sip reports 503 or 408 itself).
 * MCSEC_ERR_IO when the stack cannot start or no final response came in
 * time (msg says why), MCSEC_ERR_ARGUMENT for a URI sofia-sip cannot parse.
 */
MCSEC_MUST_CHECK mcsec_err sip_send(const struct sip_send_req *req, int *status, char *reason,
                                    size_t reason_cap, char *msg, size_t msg_cap);

#endif
