/*
 * curlx.c: libcurl helpers shared by the SMTP and HTTPS clients.
 */
#include <config.h>

#include <errno.h>

#include "curlx.h"

enum getk_err
getk_curl_err(CURLcode rc)
{
	switch (rc) {
	case CURLE_OK:
		return GETK_OK;
	case CURLE_OUT_OF_MEMORY:
		return GETK_ERR_NOMEM;
	case CURLE_COULDNT_RESOLVE_HOST:
		return GETK_ERR_NOSERVER;
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		return GETK_ERR_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return GETK_ERR_TIMEOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
		return GETK_ERR_TLS;
	case CURLE_USE_SSL_FAILED:
		return GETK_ERR_NOTSUPP;
	case CURLE_LOGIN_DENIED:
		return GETK_ERR_AUTH;
	case CURLE_FILESIZE_EXCEEDED:
		return GETK_ERR_TOOBIG;
	default:
		return GETK_ERR_PROTO;
	}
}

enum getk_err
getk_curl_conn_err(CURL *curl, CURLcode rc)
{
	long os_errno = 0;

	if (rc == CURLE_COULDNT_CONNECT && curl_easy_getinfo(curl,
	    CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK &&
	    os_errno == ECONNREFUSED)
		return GETK_ERR_NOSERVER;
	return getk_curl_err(rc);
}

enum getk_err
getk_curl_list(char *const *rules, struct curl_slist **r_list)
{
	struct curl_slist *list = NULL, *l;
	size_t i;

	*r_list = NULL;
	for (i = 0; rules && rules[i]; i++) {
		l = curl_slist_append(list, rules[i]);
		if (!l) {
			curl_slist_free_all(list);
			return GETK_ERR_NOMEM;
		}
		list = l;
	}
	*r_list = list;
	return GETK_OK;
}
