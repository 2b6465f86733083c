/*
 * codec.c: strict base64, OpenPGP ASCII armor, printable text.
 */
#include <config.h>

#include <string.h>

#include "codec.h"

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

enum getk_err
getk_base64_decode(const char *in, size_t len, struct getk_buf *out)
{
	size_t i;
	enum getk_err err;

	if (len % 4)
		return GETK_ERR_SYNTAX;
	for (i = 0; i < len; i += 4) {
		int v[4], k, pad = 0;
		unsigned char bytes[3];
		unsigned long n;

		for (k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)in[i + k];

			if (c == '=') {
				/* Padding only in the last group, at its end. */
				if (i + 4 != len || k < 2)
					return GETK_ERR_SYNTAX;
				pad++;
				v[k] = 0;
				continue;
			}
			if (pad)
				return GETK_ERR_SYNTAX;
			v[k] = b64val(c);
			if (v[k] < 0)
				return GETK_ERR_SYNTAX;
		}
		n = ((unsigned long)v[0] << 18) | ((unsigned long)v[1] << 12) |
		    ((unsigned long)v[2] << 6) | (unsigned long)v[3];
		/* Non-canonical encodings (stray low bits) are refused. */
		if ((pad == 1 && (n & 0xff)) || (pad == 2 && (n & 0xffff)))
			return GETK_ERR_SYNTAX;
		bytes[0] = (unsigned char)(n >> 16);
		bytes[1] = (unsigned char)(n >> 8);
		bytes[2] = (unsigned char)n;
		err = getk_buf_add(out, bytes, 3 - (size_t)pad);
		if (err)
			return err;
	}
	return GETK_OK;
}

enum getk_err
getk_base64_encode(const unsigned char *in, size_t len, size_t wrap,
    struct getk_buf *out)
{
	size_t i, col = 0;
	enum getk_err err;

	for (i = 0; i < len; i += 3) {
		char q[4];
		unsigned long n = (unsigned long)in[i] << 16;
		size_t rest = len - i;

		if (rest > 1)
			n |= (unsigned long)in[i + 1] << 8;
		if (rest > 2)
			n |= in[i + 2];
		q[0] = b64chars[(n >> 18) & 63];
		q[1] = b64chars[(n >> 12) & 63];
		q[2] = rest > 1 ? b64chars[(n >> 6) & 63] : '=';
		q[3] = rest > 2 ? b64chars[n & 63] : '=';
		err = getk_buf_add(out, q, 4);
		if (err)
			return err;
		col += 4;
		if (wrap && col >= wrap && i + 3 < len) {
			err = getk_buf_add(out, "\n", 1);
			if (err)
				return err;
			col = 0;
		}
	}
	if (wrap && len)
		return getk_buf_add(out, "\n", 1);
	return GETK_OK;
}

unsigned long
getk_crc24(const unsigned char *p, size_t len)
{
	unsigned long crc = 0xB704CEUL;
	size_t i;
	int k;

	for (i = 0; i < len; i++) {
		crc ^= (unsigned long)p[i] << 16;
		for (k = 0; k < 8; k++) {
			crc <<= 1;
			if (crc & 0x1000000UL)
				crc ^= 0x1864CFBUL;
		}
	}
	return crc & 0xFFFFFFUL;
}

enum getk_err
getk_armor_pubkey(const unsigned char *key, size_t len, struct getk_buf *out)
{
	unsigned long crc = getk_crc24(key, len);
	unsigned char c[3];
	enum getk_err err;

	c[0] = (unsigned char)(crc >> 16);
	c[1] = (unsigned char)(crc >> 8);
	c[2] = (unsigned char)crc;
	err = getk_buf_adds(out, "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n");
	if (!err)
		err = getk_base64_encode(key, len, 64, out);
	if (!err)
		err = getk_buf_adds(out, "=");
	if (!err)
		err = getk_base64_encode(c, 3, 0, out);
	if (!err)
		err = getk_buf_adds(out, "\n-----END PGP PUBLIC KEY BLOCK-----\n");
	return err;
}

char *
getk_printable(char *out, size_t outsz, const char *in, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= outsz)
				break;
			out[o++] = (char)c;
		} else if (c == '\\') {
			if (o + 2 >= outsz)
				break;
			out[o++] = '\\';
			out[o++] = '\\';
		} else {
			if (o + 4 >= outsz)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}
