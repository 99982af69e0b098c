/*
 * delivery_curl.h — sending outbox messages concurrently with libcurl's
 * multi interface: HTTP POSTs (Slack incoming webhooks, signed webhooks)
 * and SMTP submissions, each with connect and total timeouts.
 */
#ifndef BEDROCK_DELIVERY_CURL_H
#define BEDROCK_DELIVERY_CURL_H

#include "postgres.h"

#include <curl/curl.h>

typedef struct DeliveryRequest
{
	MemoryContext context;		/* everything below, freed with the request */
	int64		account_id;
	int64		message_id;
	int			attempts;		/* including this one */
	bool		smtp;
	char	   *url;			/* a secret: never in errors or logs */
	char	   *body;			/* HTTP body, or the whole RFC 5322 message */
	size_t		body_length;
	size_t		body_sent;
	int64		size;			/* the message's bytes as stored (support.message_size) */
	struct curl_slist *headers; /* HTTP */
	char	   *mail_from;		/* SMTP */
	bool		require_tls;	/* SMTP: STARTTLS or smtps://, unless the endpoint is plain text on loopback */
	struct curl_slist *recipients;
	char	   *username;		/* SMTP, may be NULL */
	char	   *password;
	CURL	   *easy;
	/* the outcome */
	bool		permanent;		/* the message itself can never be sent as it is */
	CURLcode	code;
	long		status;			/* HTTP status or last SMTP reply code */
	long		retry_after;	/* seconds a 429 or 503 asked for; 0 when none */
	char		error[CURL_ERROR_SIZE];
} DeliveryRequest;

extern void delivery_curl_start(void);

/*
 * Starts sending; the request belongs to the engine until it completes.
 * False when it could not start: code and error say why, and the request
 * is complete (the caller records its outcome and frees it).
 */
extern bool delivery_curl_add(DeliveryRequest *request, long connect_timeout_ms, long timeout_ms);


/* Requests in flight. */
extern int	delivery_curl_in_flight(void);

/*
 * Lets transfers progress for at most timeout_ms (returning early when one
 * completes); the completed requests go into done (at most capacity).
 */
extern int	delivery_curl_poll(int timeout_ms, DeliveryRequest **done, int capacity);

/* Frees a completed request. */
extern void delivery_curl_free(DeliveryRequest *request);

#endif
