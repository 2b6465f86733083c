/*
 * fuzz-mx.c: libFuzzer target for the MX rdata decoder (src/dns.c).
 *
 * The input is MX rdata for getk_dns_decode_mx(), and is also given whole
 * to getk_dns_decode_name().  A decoded name must be non-empty, shorter
 * than GETK_DNS_NAME_MAX, only of [a-z0-9._-], "." only for the root,
 * and must encode back to the very wire bytes it came from (but for the
 * case of letters).  On failure the outputs must be cleared.
 */
#include <config.h>

#include "fuzz.h"
#include "dns.h"

/*
 * Checks a decoded NAME against the USED wire bytes at WIRE it came from.
 */
static void
check_name(const char *name, const uint8_t *wire, size_t used)
{
	size_t len = strlen(name), i, pos = 0, start = 0;

	ASSERT(len > 0 && len < GETK_DNS_NAME_MAX);
	for (i = 0; i < len; i++)
		ASSERT((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '.' ||
		    name[i] == '-' || name[i] == '_');
	if (strcmp(name, ".") == 0) {
		ASSERT(used == 1 && wire[0] == 0);
		return;
	}
	ASSERT(name[0] != '.' && name[len - 1] != '.');
	ASSERT(strstr(name, "..") == NULL);
	/* Encode back, label by label. */
	for (i = 0; i <= len; i++) {
		if (i < len && name[i] != '.')
			continue;
		ASSERT(pos < used && wire[pos] == i - start);
		ASSERT(i - start <= 63);
		pos++;
		for (; start < i; start++, pos++)
			ASSERT(pos < used &&
			    fuzz_lower(wire[pos]) == name[start]);
		start = i + 1;
	}
	ASSERT(pos + 1 == used && wire[pos] == 0);
	ASSERT(used <= 255);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[GETK_DNS_NAME_MAX + 16];
	unsigned pref = 77;
	size_t used = 77;
	enum getk_err err;

	memset(name, 'Z', sizeof(name));
	err = getk_dns_decode_mx(data, size, &pref, name);
	if (err == GETK_OK) {
		ASSERT(size >= 3);
		ASSERT(pref == (((unsigned)data[0] << 8) | data[1]));
		check_name(name, data + 2, size - 2);
	} else {
		ASSERT(err == GETK_ERR_SYNTAX);
		ASSERT(pref == 0);
	}

	memset(name, 'Z', sizeof(name));
	err = getk_dns_decode_name(data, size, name, &used);
	if (err == GETK_OK) {
		ASSERT(used >= 1 && used <= size);
		check_name(name, data, used);
	} else {
		ASSERT(err == GETK_ERR_SYNTAX);
		ASSERT(used == 0);
	}
	return 0;
}
