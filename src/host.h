/*
 * host.h: this host's name, as getk gives it to others: in EHLO and in
 * the Message-IDs it makes.
 */
#ifndef GETK_HOST_H
#define GETK_HOST_H

#include <stddef.h>

/*
 * Writes this host's name for EHLO and Message-ID into BUF (SZ bytes):
 * the host name when it is fully qualified and of letters, digits, '-'
 * and '.', else "localhost".
 */
void getk_local_name(char *buf, size_t sz);

#endif
