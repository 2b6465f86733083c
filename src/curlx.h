/*
 * curlx.h: what the modules that drive libcurl (smtp, https) share: the
 * mapping of CURLcode onto the library's error type, and the
 * --connect-to rules as a curl list.
 */
#ifndef GETK_CURLX_H
#define GETK_CURLX_H

#include <curl/curl.h>

#include "error.h"

/* The library error for a libcurl result. */
enum getk_err getk_curl_err(CURLcode rc);

/*
 * Builds *R_LIST (for CURLOPT_CONNECT_TO) from the NULL-terminated RULES
 * (may be NULL: *R_LIST is then NULL).  Free with curl_slist_free_all.
 * GETK_ERR_NOMEM.
 */
enum getk_err getk_curl_connect_to(char *const *rules,
    struct curl_slist **r_list);

#endif
