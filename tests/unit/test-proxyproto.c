/*
 * test-proxyproto.c: unit tests of src/proxyproto.c: PROXY protocol v1
 * and v2 headers (byte for byte as HAProxy's proxy-protocol.txt gives
 * them) and XCLIENT lines.
 */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "proxyproto.h"
#include "unit.h"

static struct sockaddr_storage
addr(const char *text, int port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((unsigned short)port);
		inet_pton(AF_INET6, text, &in6->sin6_addr);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons((unsigned short)port);
		inet_pton(AF_INET, text, &in->sin_addr);
	}
	return ss;
}

#define SA(x) ((struct sockaddr *)&(x))

int
main(void)
{
	struct sockaddr_storage c4 = addr("192.0.2.7", 51000),
	    s4 = addr("198.51.100.1", 25), c6 = addr("2001:db8::7", 51000),
	    s6 = addr("2001:db8::1", 25), m = addr("::ffff:192.0.2.7", 51000);
	static const unsigned char v2_4[] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00,
	    0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 12,
	    192, 0, 2, 7, 198, 51, 100, 1, 0xc7, 0x38, 0x00, 25 };
	struct getk_buf b;
	char text[46];
	int port;

	getk_buf_init(&b, 0);
	CHECK(getk_proxy_header(1, SA(c4), SA(s4), &b) == GETK_OK, "v1, IPv4");
	CHECK_STR(b.data, "PROXY TCP4 192.0.2.7 198.51.100.1 51000 25\r\n",
	    "the v1 line");
	getk_buf_free(&b);
	getk_proxy_header(1, SA(c6), SA(s6), &b);
	CHECK_STR(b.data, "PROXY TCP6 2001:db8::7 2001:db8::1 51000 25\r\n",
	    "v1, IPv6");
	getk_buf_free(&b);
	getk_proxy_header(1, SA(m), SA(s4), &b);
	CHECK_STR(b.data, "PROXY TCP4 192.0.2.7 198.51.100.1 51000 25\r\n",
	    "v1, an IPv4-mapped client as IPv4");
	getk_buf_free(&b);
	getk_proxy_header(1, SA(c6), SA(s4), &b);
	CHECK_STR(b.data, "PROXY UNKNOWN\r\n", "v1, mixed families: UNKNOWN");
	getk_buf_free(&b);
	getk_proxy_header(2, SA(c4), SA(s4), &b);
	CHECK(b.len == sizeof(v2_4) && memcmp(b.data, v2_4, b.len) == 0,
	    "v2, IPv4: the 28 bytes of the specification");
	getk_buf_free(&b);
	getk_proxy_header(2, SA(c6), SA(s6), &b);
	CHECK(b.len == 16 + 36 && (unsigned char)b.data[13] == 0x21 &&
	    b.data[15] == 36, "v2, IPv6: TCP6 and 36 address bytes");
	getk_buf_free(&b);
	getk_proxy_header(2, SA(c6), SA(s4), &b);
	CHECK(b.len == 16 && b.data[13] == 0, "v2, mixed families: UNSPEC");
	getk_buf_free(&b);
	CHECK(getk_proxy_header(3, SA(c4), SA(s4), &b) == GETK_ERR_INVAL,
	    "no version 3");
	getk_xclient_line(SA(c4), &b);
	CHECK_STR(b.data, "XCLIENT ADDR=192.0.2.7 PORT=51000 "
	    "NAME=[UNAVAILABLE]\r\n", "XCLIENT, IPv4");
	getk_buf_free(&b);
	getk_xclient_line(SA(c6), &b);
	CHECK_STR(b.data, "XCLIENT ADDR=IPV6:2001:db8::7 PORT=51000 "
	    "NAME=[UNAVAILABLE]\r\n", "XCLIENT, IPv6 with its prefix");
	getk_buf_free(&b);
	CHECK(getk_sockaddr_text(SA(m), text, &port) && strcmp(text,
	    "192.0.2.7") == 0 && port == 51000, "text of a mapped address");
	return done_testing();
}
