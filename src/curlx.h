/*
 * curlx.h: what the modules that drive libcurl (smtp, https) share: the
 * mapping of CURLcode onto the library's error type, and string lists
 * (--connect-to rules, --resolve entries) as curl lists.
 */
#ifndef GETK_CURLX_H
#define GETK_CURLX_H

#include <curl/curl.h>

#include "error.h"

/*
 * The library error for a libcurl result.  A name that does not resolve
 * is GETK_ERR_NOSERVER; a connection that failed otherwise, or broke
 * after it opened (reset, closed, nothing received), GETK_ERR_CONNECT.
 */
enum getk_err getk_curl_err(CURLcode rc);

/*
 * As getk_curl_err for the failed transfer of CURL, but a connection
 * the server refused (ECONNREFUSED) is GETK_ERR_NOSERVER too: nothing
 * listens there.
 */
enum getk_err getk_curl_conn_err(CURL *curl, CURLcode rc);

/*
 * Builds *R_LIST (for CURLOPT_CONNECT_TO, CURLOPT_RESOLVE) from the
 * NULL-terminated RULES (may be NULL: *R_LIST is then NULL).  Free with
 * curl_slist_free_all.  GETK_ERR_NOMEM.
 */
enum getk_err getk_curl_list(char *const *rules,
    struct curl_slist **r_list);

#endif
