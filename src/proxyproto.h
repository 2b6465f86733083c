/*
 * proxyproto.h: how getkd tells the MTA who the client is.
 *
 * The HAProxy PROXY protocol, version 1 (a text line) and 2 (binary),
 * which the MTA reads before its greeting (Postfix
 * smtpd_upstream_proxy_protocol = haproxy, Exim hosts_proxy), or
 * Postfix's XCLIENT command.  Pure: addresses in, bytes out.
 */
#ifndef GETK_PROXYPROTO_H
#define GETK_PROXYPROTO_H

#include <sys/socket.h>

#include "buf.h"
#include "error.h"

/*
 * Appends to OUT the PROXY protocol header (VERSION 1 or 2) of a
 * connection from SRC to DST (the address the client connected to), both
 * AF_INET or AF_INET6; an IPv4-mapped IPv6 address is given as IPv4.
 * Addresses of different or unknown families give the header for an
 * unknown source ("PROXY UNKNOWN", v2 LOCAL's sibling UNSPEC).
 * GETK_ERR_INVAL for another VERSION, GETK_ERR_NOMEM.
 */
enum getk_err getk_proxy_header(int version, const struct sockaddr *src,
    const struct sockaddr *dst, struct getk_buf *out);

/*
 * Appends to OUT the line "XCLIENT ADDR=... PORT=... NAME=[UNAVAILABLE]"
 * with CRLF for a client at SRC (Postfix XCLIENT_README: IPv6 addresses
 * with the "IPV6:" prefix).  GETK_ERR_INVAL, GETK_ERR_NOMEM.
 */
enum getk_err getk_xclient_line(const struct sockaddr *src,
    struct getk_buf *out);

/*
 * SA as text, "192.0.2.1" or "2001:db8::1" (an IPv4-mapped address as
 * IPv4), and its port, for logs and headers.  R_ADDR has 46 bytes.
 * Zero for another family (R_ADDR is then "unknown").
 */
int getk_sockaddr_text(const struct sockaddr *sa, char r_addr[46],
    int *r_port);

#endif
