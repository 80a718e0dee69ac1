/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP front of the daemon on libmicrohttpd: a thread pool with epoll,
 * connection limits (total, per IP, memory, inactivity timeout against
 * slow clients), a request body limit, and optional direct HTTPS (GnuTLS).
 * It moves requests to kmsd_handle (handler.h) and replies back; response
 * bodies are wiped when libmicrohttpd releases them.
 */
#ifndef MCSEC_KMSD_SERVER_H
#define MCSEC_KMSD_SERVER_H

#include <stdint.h>

#include "kmsd/config.h"
#include "kmsd/handler.h"

struct kmsd_server;

/*
 * Starts listening on c->listen with the pool and limits of c; with
 * tls_cert_pem/tls_key_pem (NUL-terminated PEM, kept by the caller until
 * kmsd_server_stop) it speaks HTTPS only. Returns MCSEC_OK or
 * MCSEC_ERR_CONFIG / MCSEC_ERR_IO with err set.
 */
MCSEC_MUST_CHECK mcsec_err kmsd_server_start(struct kmsd_server **out, struct kmsd_ctx *ctx,
                                             const struct kmsd_config *c, const char *tls_cert_pem,
                                             const char *tls_key_pem, char *err, size_t errlen);
/* The bound port (useful with port 0). */
uint16_t kmsd_server_port(const struct kmsd_server *s);
/* Stops accepting, lets in-flight requests finish (up to drain_ms), then stops. */
void kmsd_server_stop(struct kmsd_server *s, unsigned drain_ms);

#endif
