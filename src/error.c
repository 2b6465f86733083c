/*
 * error.c: descriptions and classes of the library's error values.
 */
#include <config.h>

#include "error.h"

const char *
getk_strerror(enum getk_err err)
{
	switch (err) {
	case GETK_OK: return "success";
	case GETK_ERR_NOMEM: return "out of memory";
	case GETK_ERR_INVAL: return "invalid argument";
	case GETK_ERR_CONFIG: return "configuration error";
	case GETK_ERR_SYNTAX: return "syntax error";
	case GETK_ERR_TOOBIG: return "input too large";
	case GETK_ERR_DAMAGED: return "damaged or foreign file";
	case GETK_ERR_SYSTEM: return "system error";
	case GETK_ERR_DNS_TEMP: return "temporary DNS failure";
	case GETK_ERR_DNS_BOGUS: return "DNSSEC validation failed";
	case GETK_ERR_NOSERVER: return "no server";
	case GETK_ERR_CONNECT: return "connection failed";
	case GETK_ERR_TLS: return "TLS failure";
	case GETK_ERR_TIMEOUT: return "timed out";
	case GETK_ERR_PROTO: return "protocol error";
	case GETK_ERR_TEMPFAIL: return "temporary failure";
	case GETK_ERR_PERMFAIL: return "permanent failure";
	case GETK_ERR_NOTSUPP: return "not supported by the server";
	case GETK_ERR_AUTH: return "authentication failed";
	case GETK_ERR_NOKEY: return "no key";
	case GETK_ERR_BADKEY: return "key failed verification";
	case GETK_ERR_CRYPTO: return "OpenPGP engine failure";
	case GETK_ERR_INTERNAL: return "internal error";
	}
	return "unknown error";
}

int
getk_err_is_temporary(enum getk_err err)
{
	switch (err) {
	case GETK_ERR_NOMEM:
	case GETK_ERR_SYSTEM:
	case GETK_ERR_DNS_TEMP:
	case GETK_ERR_DNS_BOGUS:
	case GETK_ERR_NOSERVER:
	case GETK_ERR_CONNECT:
	case GETK_ERR_TLS:
	case GETK_ERR_TIMEOUT:
	case GETK_ERR_PROTO:
	case GETK_ERR_TEMPFAIL:
		return 1;
	default:
		return 0;
	}
}
