package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// defaultHTTPTimeout bounds a provider or webhook call when the caller gives
// no client of its own.
const defaultHTTPTimeout = 15 * time.Second

// post sends body to target and classifies the outcome. A nil client means a
// client with defaultHTTPTimeout. Redirects are not followed unless the
// client has its own CheckRedirect: net/http would replay a 301/302/303 as a
// GET without the body, and its 200 would pass for a delivery. The returned
// response body is at most 64 KiB and only read for non-2xx statuses.
//
// Errors name the target's host only: URLs can carry credentials in their
// query, and neither the request body nor its headers are ever included.
func post(ctx context.Context, client *http.Client, target *url.URL, header http.Header, body []byte) (status int, respBody []byte, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, Permanent(fmt.Errorf("build request for %s: %w", target.Host, unwrapURLError(err)))
	}
	req.Header = header
	resp, err := noRedirects(client).Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("post to %s: %w", target.Host, unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
		return resp.StatusCode, nil, nil
	}
	respBody, _ = io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, respBody, nil
}

// classifyStatus turns a non-2xx status into an error: 4xx other than 408
// (request timeout) and 429 (too many requests) is permanent, anything else
// is worth retrying. detail is appended verbatim and must be safe to log.
func classifyStatus(what string, status int, detail string) error {
	msg := fmt.Sprintf("%s: status %d", what, status)
	if detail != "" {
		msg += " (" + detail + ")"
	}
	err := errors.New(msg)
	if status/100 == 4 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests {
		return Permanent(err)
	}
	return err
}

// noRedirects returns client, or a copy of it that does not follow redirects
// when client has no redirect policy of its own.
func noRedirects(client *http.Client) *http.Client {
	if client == nil {
		client = &http.Client{Timeout: defaultHTTPTimeout}
	}
	if client.CheckRedirect != nil {
		return client
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// unwrapURLError drops the *url.Error layer, whose message repeats the full
// URL, keeping the cause.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
