/*
 * test-peers.c: unit tests of src/peers.c: per-address session counts
 * and lookup token buckets, with the clock passed in.
 */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "peers.h"
#include "unit.h"

static struct sockaddr_storage
addr(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, text, &in6->sin6_addr);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		inet_pton(AF_INET, text, &in->sin_addr);
	}
	return ss;
}

#define SA(x) ((struct sockaddr *)&(x))

int
main(void)
{
	struct getk_peers *p = NULL;
	struct sockaddr_storage a = addr("192.0.2.1"), b = addr("192.0.2.2"),
	    m = addr("::ffff:192.0.2.1"), v6a = addr("2001:db8:1:2::1"),
	    v6b = addr("2001:db8:1:2::ffff"), v6c = addr("2001:db8:1:3::1");
	int i, n;

	CHECK(getk_peers_new(10, 0, 1000, &p) == GETK_ERR_INVAL,
	    "a rate of 0 is refused");
	CHECK(getk_peers_new(3, 5, 60000, &p) == GETK_OK, "a table");
	CHECK(getk_peers_open(p, SA(a), 0, 2) == GETK_OK, "first session");
	CHECK(getk_peers_open(p, SA(a), 0, 2) == GETK_OK, "second session");
	CHECK(getk_peers_open(p, SA(a), 0, 2) == GETK_ERR_TOOBIG,
	    "the third over the limit of 2");
	CHECK(getk_peers_open(p, SA(m), 0, 2) == GETK_ERR_TOOBIG,
	    "an IPv4-mapped address is the same client");
	CHECK(getk_peers_open(p, SA(b), 0, 2) == GETK_OK, "another address");
	for (n = 0, i = 0; i < 10; i++)
		n += getk_peers_take(p, SA(a), 0);
	CHECK_INT(n, 5, "a full bucket holds 5 tokens");
	CHECK(getk_peers_take(p, SA(b), 0), "another address has its own");
	CHECK(!getk_peers_take(p, SA(a), 11999), "none after 11.999 s");
	CHECK(getk_peers_take(p, SA(a), 12000), "one after 12 s (5 a minute)");
	CHECK(!getk_peers_take(p, SA(a), 12001), "and only one");
	for (n = 0, i = 0; i < 10; i++)
		n += getk_peers_take(p, SA(a), 600000);
	CHECK_INT(n, 5, "refilled to 5 at most, not more");
	getk_peers_close(p, SA(a), 600000);
	getk_peers_close(p, SA(a), 600000);
	CHECK_INT(getk_peers_count(p), 2, "no session but an empty bucket: "
	    "remembered");
	getk_peers_close(p, SA(b), 600000);
	CHECK_INT(getk_peers_count(p), 1, "no session and a full bucket: gone");
	CHECK(getk_peers_open(p, SA(v6a), 600001, 5) == GETK_OK &&
	    getk_peers_open(p, SA(v6b), 600001, 5) == GETK_OK, "IPv6");
	CHECK(getk_peers_take(p, SA(v6a), 600001) &&
	    getk_peers_take(p, SA(v6b), 600001), "tokens of the /64");
	for (n = 0, i = 0; i < 10; i++)
		n += getk_peers_take(p, SA(v6b), 600001);
	CHECK_INT(n, 3, "one /64, one bucket: 5 in all");
	CHECK(getk_peers_open(p, SA(v6c), 600001, 5) == GETK_OK,
	    "the table holds 3 addresses");
	CHECK(getk_peers_open(p, SA(b), 600001, 5) == GETK_ERR_TOOBIG,
	    "a fourth does not fit");
	getk_peers_close(p, SA(v6c), 600001);
	CHECK(getk_peers_open(p, SA(b), 600001, 5) == GETK_OK,
	    "after one left, it does");
	a = addr("198.51.100.1");
	CHECK(!getk_peers_take(p, SA(a), 600001),
	    "no token for an address without a session");
	getk_peers_free(p);
	getk_peers_free(NULL);
	return done_testing();
}
