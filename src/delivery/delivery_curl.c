/*
 * delivery_curl.c — the delivery worker's network side: many transfers at
 * once on one libcurl multi handle, so a receiver that hangs costs one
 * slot until its timeout, never the others.
 *
 * Nothing here touches the database; the worker (delivery_worker.c) claims
 * messages, hands them over and records what came back.
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "delivery/delivery_curl.h"

static CURLM *delivery_multi = NULL;
static int	delivery_running = 0;

void
delivery_curl_start(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		elog(ERROR, "could not initialise libcurl");
	delivery_multi = curl_multi_init();
	if (delivery_multi == NULL)
		elog(ERROR, "could not create a libcurl multi handle");
}

/* Response bodies are not needed: the status says it all. */
static size_t
delivery_curl_discard(char *data, size_t size, size_t count, void *unused)
{
	return size * count;
}

/* Feeds an SMTP message to libcurl, which does the dot-stuffing. */
static size_t
delivery_curl_read(char *buffer, size_t size, size_t count, void *argument)
{
	DeliveryRequest *request = argument;
	size_t		room = size * count;
	size_t		left = request->body_length - request->body_sent;
	size_t		chunk = Min(room, left);

	memcpy(buffer, request->body + request->body_sent, chunk);
	request->body_sent += chunk;
	return chunk;
}

/*
 * An option libcurl refuses (a URL over its 8 MB limit, say) ends this
 * message's attempt, never the worker's pass: the others claimed with it
 * are still sent, and its outcome is recorded like any other.
 */
#define CURL_SET(easy, option, value) \
	do { \
		CURLcode	set_code = curl_easy_setopt((easy), (option), (value)); \
		if (set_code != CURLE_OK) \
			return delivery_curl_refuse(request, set_code, (option) == CURLOPT_URL, \
										"libcurl refused " #option); \
	} while (0)

/*
 * Ends a request that could not start: its outcome is code, its reason why.
 * Permanent only when the message's own URL was refused: any other option
 * refused is this libcurl's setup (too old, built without SMTP), which every
 * message would meet alike.
 */
static bool
delivery_curl_refuse(DeliveryRequest *request, CURLcode code, bool permanent, const char *why)
{
	if (request->easy != NULL)
		curl_easy_cleanup(request->easy);
	request->easy = NULL;
	request->code = code;
	request->permanent = permanent;
	request->status = 0;
	strlcpy(request->error, why, sizeof(request->error));
	return false;
}

/*
 * The message's URL as libcurl reads it, before anything is sent: a URL it
 * cannot parse or a protocol it will not speak is the message's own
 * permanent failure. (After a transfer, the same error codes can describe
 * the server's answer, which a retry may find mended.)
 */
static bool
delivery_curl_url_usable(DeliveryRequest *request)
{
	CURLU	   *url = curl_url();
	CURLUcode	parsed;
	char	   *scheme = NULL;
	bool		usable;

	if (url == NULL)
		return delivery_curl_refuse(request, CURLE_OUT_OF_MEMORY, false, "could not parse the endpoint's URL");
	parsed = curl_url_set(url, CURLUPART_URL, request->url, 0);
	if (parsed == CURLUE_OK)
		parsed = curl_url_get(url, CURLUPART_SCHEME, &scheme, 0);
	if (parsed != CURLUE_OK)
		usable = delivery_curl_refuse(request, CURLE_URL_MALFORMAT, true, curl_url_strerror(parsed));
	else if (strcmp(scheme, request->smtp ? "smtp" : "http") != 0 &&
			 strcmp(scheme, request->smtp ? "smtps" : "https") != 0)
	{
		char		why[CURL_ERROR_SIZE];

		snprintf(why, sizeof(why), "%s messages are not sent over %.20s", request->smtp ? "email" : "HTTP", scheme);
		usable = delivery_curl_refuse(request, CURLE_UNSUPPORTED_PROTOCOL, true, why);
	}
	else
		usable = true;
	curl_free(scheme);
	curl_url_cleanup(url);
	return usable;
}

bool
delivery_curl_add(DeliveryRequest *request, long connect_timeout_ms, long timeout_ms)
{
	CURL	   *easy;

	request->easy = NULL;
	if (!delivery_curl_url_usable(request))
		return false;
	easy = curl_easy_init();
	request->easy = easy;
	if (easy == NULL)
		return delivery_curl_refuse(request, CURLE_OUT_OF_MEMORY, false, "could not create a libcurl handle");
	request->error[0] = '\0';
	CURL_SET(easy, CURLOPT_URL, request->url);
	CURL_SET(easy, CURLOPT_PRIVATE, request);
	CURL_SET(easy, CURLOPT_NOSIGNAL, 1L);
	CURL_SET(easy, CURLOPT_ERRORBUFFER, request->error);
	CURL_SET(easy, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
	CURL_SET(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	/* an endpoint row cannot turn the worker into a file or LDAP reader */
	CURL_SET(easy, CURLOPT_PROTOCOLS_STR, "http,https,smtp,smtps");
	CURL_SET(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	CURL_SET(easy, CURLOPT_USERAGENT, "bedrock_support/" BEDROCK_SUPPORT_VERSION);
	if (request->smtp)
	{
		CURL_SET(easy, CURLOPT_MAIL_FROM, request->mail_from);
		CURL_SET(easy, CURLOPT_MAIL_RCPT, request->recipients);
		CURL_SET(easy, CURLOPT_UPLOAD, 1L);
		CURL_SET(easy, CURLOPT_READFUNCTION, delivery_curl_read);
		CURL_SET(easy, CURLOPT_READDATA, request);
		CURL_SET(easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t) request->body_length);
		/*
		 * TLS or nothing (smtps:// is TLS from the start, smtp:// must
		 * STARTTLS): credentials and client mail never cross in clear. Only
		 * an endpoint on loopback marked plain_text_on_loopback skips it.
		 */
		CURL_SET(easy, CURLOPT_USE_SSL, (long) (request->require_tls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
		/*
		 * libcurl would hand a pooled plain-text connection to the same
		 * server to a transfer that requires TLS: each email gets its own.
		 */
		CURL_SET(easy, CURLOPT_FRESH_CONNECT, 1L);
		CURL_SET(easy, CURLOPT_FORBID_REUSE, 1L);
		if (request->username != NULL)
		{
			CURL_SET(easy, CURLOPT_USERNAME, request->username);
			CURL_SET(easy, CURLOPT_PASSWORD, request->password != NULL ? request->password : "");
		}
	}
	else
	{
		CURL_SET(easy, CURLOPT_POST, 1L);
		CURL_SET(easy, CURLOPT_POSTFIELDS, request->body);
		CURL_SET(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) request->body_length);
		CURL_SET(easy, CURLOPT_HTTPHEADER, request->headers);
		CURL_SET(easy, CURLOPT_WRITEFUNCTION, delivery_curl_discard);
	}
	if (curl_multi_add_handle(delivery_multi, easy) != CURLM_OK)
		return delivery_curl_refuse(request, CURLE_OUT_OF_MEMORY, false,
									"could not add the transfer to the libcurl multi handle");
	delivery_running++;
	return true;
}

int
delivery_curl_in_flight(void)
{
	return delivery_running;
}

static int
delivery_curl_collect(DeliveryRequest **done, int capacity)
{
	CURLMsg    *message;
	int			left;
	int			count = 0;

	while (count < capacity && (message = curl_multi_info_read(delivery_multi, &left)) != NULL)
	{
		DeliveryRequest *request;
		curl_off_t	retry_after = 0;

		if (message->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, (char **) &request);
		request->code = message->data.result;
		curl_easy_getinfo(message->easy_handle, CURLINFO_RESPONSE_CODE, &request->status);
		curl_easy_getinfo(message->easy_handle, CURLINFO_RETRY_AFTER, &retry_after);
		request->retry_after = (long) retry_after;
		curl_multi_remove_handle(delivery_multi, message->easy_handle);
		curl_easy_cleanup(message->easy_handle);
		request->easy = NULL;
		delivery_running--;
		done[count++] = request;
	}
	return count;
}

int
delivery_curl_poll(int timeout_ms, DeliveryRequest **done, int capacity)
{
	int			still_running;
	int			count;

	if (curl_multi_perform(delivery_multi, &still_running) != CURLM_OK)
		elog(ERROR, "libcurl multi transfer failed");
	count = delivery_curl_collect(done, capacity);
	if (count > 0 || delivery_running == 0)
		return count;
	if (curl_multi_poll(delivery_multi, NULL, 0, timeout_ms, NULL) != CURLM_OK)
		elog(ERROR, "waiting on libcurl transfers failed");
	if (curl_multi_perform(delivery_multi, &still_running) != CURLM_OK)
		elog(ERROR, "libcurl multi transfer failed");
	return delivery_curl_collect(done, capacity);
}

void
delivery_curl_free(DeliveryRequest *request)
{
	if (request->headers != NULL)
		curl_slist_free_all(request->headers);
	if (request->recipients != NULL)
		curl_slist_free_all(request->recipients);
	MemoryContextDelete(request->context);
}
