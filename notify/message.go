package notify

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// envelope is an e-mail ready for SMTP: the envelope addresses and the
// RFC 5322 message with CRLF line endings.
type envelope struct {
	from, to string
	data     []byte
}

// maxSubject keeps the Subject header line well under SMTP's 998-byte limit
// even before the encoder folds it.
const maxSubject = 900

// composeEmail checks m and builds its RFC 5322 message: From, To, Subject
// (RFC 2047 encoded when not plain ASCII), Date, Message-ID <ID@rebound>,
// MIME-Version and a quoted-printable UTF-8 body, multipart/alternative when
// m.HTML is set. Every failure is permanent: the message itself is at fault.
func composeEmail(from string, m Message, now time.Time) (envelope, error) {
	fail := func(err error) (envelope, error) {
		return envelope{}, Permanent(fmt.Errorf("email %s: %w", m.ID, err))
	}
	if err := checkID(m); err != nil {
		return envelope{}, err
	}
	// Line breaks would let a value start new headers (header injection).
	for _, f := range []struct{ name, value string }{{"sender", from}, {"recipient", m.To}, {"subject", m.Subject}} {
		if strings.ContainsAny(f.value, "\r\n") {
			return fail(fmt.Errorf("%s contains a line break", f.name))
		}
	}
	fromAddr, err := mail.ParseAddress(from)
	if err != nil {
		return fail(fmt.Errorf("sender address: %w", err))
	}
	toAddr, err := mail.ParseAddress(m.To)
	if err != nil {
		return fail(errors.New("recipient is not a valid e-mail address"))
	}
	if len(m.Subject) > maxSubject {
		return fail(fmt.Errorf("subject longer than %d bytes", maxSubject))
	}
	if m.Text == "" && m.HTML == "" {
		return fail(errors.New("empty body"))
	}

	var b bytes.Buffer
	header := func(name, value string) { fmt.Fprintf(&b, "%s: %s\r\n", name, value) }
	header("From", fromAddr.String())
	header("To", (&mail.Address{Address: toAddr.Address}).String())
	header("Subject", encodeSubject(m.Subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+m.ID+"@rebound>")
	header("MIME-Version", "1.0")

	if m.HTML == "" {
		header("Content-Type", "text/plain; charset=utf-8")
		header("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(&b, m.Text); err != nil {
			return fail(err)
		}
		return envelope{from: fromAddr.Address, to: toAddr.Address, data: b.Bytes()}, nil
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	b.WriteString("\r\n")
	// Least to most preferred, as RFC 2046 asks for multipart/alternative.
	for _, p := range []struct{ contentType, text string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.contentType + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return fail(err)
		}
		if err := writeQP(w, p.text); err != nil {
			return fail(err)
		}
	}
	if err := mw.Close(); err != nil {
		return fail(err)
	}
	b.Write(body.Bytes())
	return envelope{from: fromAddr.Address, to: toAddr.Address, data: b.Bytes()}, nil
}

// encodeSubject RFC 2047-encodes s when it is not plain ASCII and folds the
// encoded words onto continuation lines so no line grows past 78 characters.
func encodeSubject(s string) string {
	return strings.ReplaceAll(mime.QEncoding.Encode("utf-8", s), "?= =?", "?=\r\n =?")
}

// writeQP writes text quoted-printable encoded, with CRLF line breaks.
func writeQP(w io.Writer, text string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(text)); err != nil {
		return err
	}
	return qp.Close()
}
