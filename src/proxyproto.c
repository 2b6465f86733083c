/*
 * proxyproto.c: PROXY protocol headers (HAProxy's proxy-protocol.txt,
 * versions 1 and 2) and XCLIENT lines.
 */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "proxyproto.h"

/* The 12-byte signature that starts every v2 header. */
static const unsigned char v2_sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00,
    0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

/*
 * The family (AF_INET or AF_INET6) of SA, its 4 or 16 address bytes in
 * R_ADDR and its port; an IPv4-mapped IPv6 address comes out as IPv4.
 * 0 for an unknown family.
 */
static int
split_addr(const struct sockaddr *sa, unsigned char r_addr[16], int *r_port)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)
		    (const void *)sa;

		memcpy(r_addr, &in->sin_addr, 4);
		*r_port = ntohs(in->sin_port);
		return AF_INET;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)
		    (const void *)sa;

		*r_port = ntohs(in6->sin6_port);
		if (memcmp(in6->sin6_addr.s6_addr, mapped, 12) == 0) {
			memcpy(r_addr, in6->sin6_addr.s6_addr + 12, 4);
			return AF_INET;
		}
		memcpy(r_addr, in6->sin6_addr.s6_addr, 16);
		return AF_INET6;
	}
	return 0;
}

int
getk_sockaddr_text(const struct sockaddr *sa, char r_addr[46], int *r_port)
{
	unsigned char a[16];
	int family = split_addr(sa, a, r_port);

	if (!family || !inet_ntop(family, a, r_addr, 46)) {
		memcpy(r_addr, "unknown", 8);
		*r_port = 0;
		return 0;
	}
	return 1;
}

enum getk_err
getk_proxy_header(int version, const struct sockaddr *src,
    const struct sockaddr *dst, struct getk_buf *out)
{
	unsigned char sa[16], da[16], hdr[16];
	char stext[46], dtext[46];
	int sport = 0, dport = 0, sf, df;
	enum getk_err err;

	if (version != 1 && version != 2)
		return GETK_ERR_INVAL;
	sf = split_addr(src, sa, &sport);
	df = split_addr(dst, da, &dport);
	if (!sf || sf != df)
		sf = 0;
	if (version == 1) {
		if (!sf)
			return getk_buf_adds(out, "PROXY UNKNOWN\r\n");
		inet_ntop(sf, sa, stext, sizeof(stext));
		inet_ntop(sf, da, dtext, sizeof(dtext));
		return getk_buf_printf(out, "PROXY %s %s %s %d %d\r\n",
		    sf == AF_INET ? "TCP4" : "TCP6", stext, dtext, sport, dport);
	}
	memcpy(hdr, v2_sig, 12);
	hdr[12] = 0x21;		/* version 2, PROXY command */
	if (sf == AF_INET) {
		hdr[13] = 0x11;	/* TCP over IPv4 */
		hdr[14] = 0;
		hdr[15] = 12;
	} else if (sf == AF_INET6) {
		hdr[13] = 0x21;	/* TCP over IPv6 */
		hdr[14] = 0;
		hdr[15] = 36;
	} else {
		hdr[13] = 0x00;	/* UNSPEC: the receiver uses the real ends */
		hdr[14] = 0;
		hdr[15] = 0;
	}
	err = getk_buf_add(out, hdr, sizeof(hdr));
	if (!err && sf) {
		size_t alen = sf == AF_INET ? 4 : 16;
		unsigned char ports[4];

		ports[0] = (unsigned char)(sport >> 8);
		ports[1] = (unsigned char)sport;
		ports[2] = (unsigned char)(dport >> 8);
		ports[3] = (unsigned char)dport;
		err = getk_buf_add(out, sa, alen);
		if (!err)
			err = getk_buf_add(out, da, alen);
		if (!err)
			err = getk_buf_add(out, ports, sizeof(ports));
	}
	return err;
}

enum getk_err
getk_xclient_line(const struct sockaddr *src, struct getk_buf *out)
{
	unsigned char a[16];
	char text[46];
	int port = 0, family = split_addr(src, a, &port);

	if (!family)
		return GETK_ERR_INVAL;
	inet_ntop(family, a, text, sizeof(text));
	return getk_buf_printf(out, "XCLIENT ADDR=%s%s PORT=%d "
	    "NAME=[UNAVAILABLE]\r\n", family == AF_INET6 ? "IPV6:" : "", text,
	    port);
}
