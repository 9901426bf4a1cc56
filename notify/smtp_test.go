package notify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/rebound-returns/rebound/notify"
)

// received is one message as the test SMTP server saw it.
type received struct {
	from     string
	to       []string
	data     []byte
	authUser string
	authPass string
	tls      bool
}

// mailServer is a real SMTP server in the test process that records what it
// receives. rcptErr and dataErr, when set, are replied to RCPT and DATA.
type mailServer struct {
	addr    string
	rcptErr error
	dataErr error

	mu   sync.Mutex
	msgs []received
}

func (s *mailServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

type serverOptions struct {
	rcptErr, dataErr error
	tls              *tls.Config
}

func startMailServer(t *testing.T, opts serverOptions) *mailServer {
	t.Helper()
	ms := &mailServer{rcptErr: opts.rcptErr, dataErr: opts.dataErr}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{server: ms, conn: c}, nil
	}))
	srv.Domain = "mx.test"
	srv.AllowInsecureAuth = true
	srv.TLSConfig = opts.tls
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = discardLogger{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ms.addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ms
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}

type session struct {
	server *mailServer
	conn   *smtp.Conn
	cur    received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if password != "s3cret" {
			return smtp.ErrAuthFailed
		}
		s.cur.authUser, s.cur.authPass = username, password
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.cur.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.server.rcptErr != nil {
		return s.server.rcptErr
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.server.dataErr != nil {
		return s.server.dataErr
	}
	s.cur.data = data
	_, s.cur.tls = s.conn.TLSConnectionState()
	s.server.mu.Lock()
	s.server.msgs = append(s.server.msgs, s.cur)
	s.server.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = received{authUser: s.cur.authUser, authPass: s.cur.authPass} }
func (s *session) Logout() error { return nil }

func TestSMTPSendsMessage(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Ihre Rücksendung ist unterwegs, danke für Ihre Geduld. ", 4)
	tests := []struct {
		name    string
		msg     notify.Message
		wantAlt bool
	}{
		{
			name: "text only",
			msg:  notify.Message{ID: "42", Channel: notify.Email, To: "ada@example.com", Subject: "Your return label", Text: "Label attached.\nThanks!"},
		},
		{
			name:    "text and html, non-ASCII subject",
			msg:     notify.Message{ID: "0193a7c2-5b1e-7c3d-9f00-4a1b2c3d4e5f", Channel: notify.Email, To: "Jürgen <juergen@example.de>", Subject: "Rücksendung bestätigt – Nr. 4711 " + strings.Repeat("Rücksendung ", 60), Text: long, HTML: "<p>" + long + "</p>"},
			wantAlt: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startMailServer(t, serverOptions{})
			sender := notify.NewSMTP(notify.SMTPConfig{Addr: srv.addr, From: "Rebound <no-reply@rebound.test>", HelloName: "app.rebound.test", Timeout: 5 * time.Second})

			if err := sender.Send(context.Background(), tt.msg); err != nil {
				t.Fatalf("Send: %v", err)
			}

			msgs := srv.messages()
			if len(msgs) != 1 {
				t.Fatalf("server received %d messages, want 1", len(msgs))
			}
			got := msgs[0]
			wantTo, _ := mail.ParseAddress(tt.msg.To)
			if got.from != "no-reply@rebound.test" || len(got.to) != 1 || got.to[0] != wantTo.Address {
				t.Errorf("envelope from %q to %q, want no-reply@rebound.test to %q", got.from, got.to, wantTo.Address)
			}
			if got.authUser != "" {
				t.Errorf("authenticated as %q without a username configured", got.authUser)
			}
			assertLineLengths(t, got.data)

			parsed, err := mail.ReadMessage(strings.NewReader(string(got.data)))
			if err != nil {
				t.Fatalf("parse message: %v", err)
			}
			h := parsed.Header
			if from, err := h.AddressList("From"); err != nil || len(from) != 1 || from[0].Address != "no-reply@rebound.test" || from[0].Name != "Rebound" {
				t.Errorf("From = %q (%v)", h.Get("From"), err)
			}
			if to, err := h.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != wantTo.Address {
				t.Errorf("To = %q (%v)", h.Get("To"), err)
			}
			subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
			if err != nil || subject != tt.msg.Subject {
				t.Errorf("Subject decodes to %q (%v), want %q", subject, err, tt.msg.Subject)
			}
			if want := "<" + tt.msg.ID + "@rebound>"; h.Get("Message-ID") != want {
				t.Errorf("Message-ID = %q, want %q", h.Get("Message-ID"), want)
			}
			if date, err := h.Date(); err != nil || time.Since(date) > time.Minute {
				t.Errorf("Date = %q (%v)", h.Get("Date"), err)
			}
			if h.Get("MIME-Version") != "1.0" {
				t.Errorf("MIME-Version = %q", h.Get("MIME-Version"))
			}

			parts := bodyParts(t, h.Get("Content-Type"), h.Get("Content-Transfer-Encoding"), parsed.Body)
			want := map[string]string{"text/plain": crlf(tt.msg.Text)}
			if tt.wantAlt {
				want["text/html"] = crlf(tt.msg.HTML)
			}
			if len(parts) != len(want) {
				t.Errorf("body has parts %v, want %d", keys(parts), len(want))
			}
			for typ, text := range want {
				// SMTP ends the last line of a message with CRLF.
				if strings.TrimSuffix(parts[typ], "\r\n") != text {
					t.Errorf("%s part = %q, want %q", typ, parts[typ], text)
				}
			}
		})
	}
}

// bodyParts decodes a text/plain or multipart/alternative body into its
// parts' texts by media type, checking each part is UTF-8 quoted-printable.
func bodyParts(t *testing.T, contentType, encoding string, body io.Reader) map[string]string {
	t.Helper()
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatalf("Content-Type %q: %v", contentType, err)
	}
	parts := map[string]string{}
	if mediaType != "multipart/alternative" {
		if params["charset"] != "utf-8" || encoding != "quoted-printable" {
			t.Errorf("Content-Type %q, Content-Transfer-Encoding %q", contentType, encoding)
		}
		text, err := io.ReadAll(quotedprintable.NewReader(body))
		if err != nil {
			t.Fatalf("decode body: %v", err)
		}
		parts[mediaType] = string(text)
		return parts
	}
	mr := multipart.NewReader(body, params["boundary"])
	for {
		// NextRawPart keeps Content-Transfer-Encoding so it can be checked.
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return parts
		}
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		for typ, text := range bodyParts(t, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p) {
			parts[typ] = text
		}
	}
}

// assertLineLengths checks every line ends in CRLF, header lines stay within
// SMTP's 998-character limit and body lines within quoted-printable's 76
// (78 for multipart boundaries).
func assertLineLengths(t *testing.T, data []byte) {
	t.Helper()
	limit := 998
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\r\n"), "\r\n") {
		if line == "" {
			limit = 78 // end of the header
		}
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("line %d has a bare CR or LF: %q", i, line)
		}
		if len(line) > limit {
			t.Errorf("line %d is %d characters long: %q", i, len(line), line)
		}
	}
}

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestSMTPAuthenticates(t *testing.T) {
	t.Parallel()
	srv := startMailServer(t, serverOptions{})
	sender := notify.NewSMTP(notify.SMTPConfig{Addr: srv.addr, From: "no-reply@rebound.test", Username: "rebound", Password: "s3cret"})

	if err := sender.Send(context.Background(), notify.Message{ID: "7", Channel: notify.Email, To: "ada@example.com", Subject: "Hi", Text: "Hello"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := srv.messages()
	if len(msgs) != 1 || msgs[0].authUser != "rebound" || msgs[0].authPass != "s3cret" {
		t.Fatalf("server received %+v, want one message sent as user rebound", msgs)
	}
}

func TestSMTPWrongPasswordIsPermanent(t *testing.T) {
	t.Parallel()
	srv := startMailServer(t, serverOptions{})
	sender := notify.NewSMTP(notify.SMTPConfig{Addr: srv.addr, From: "no-reply@rebound.test", Username: "rebound", Password: "wrong-pass-123"})

	err := sender.Send(context.Background(), notify.Message{ID: "7", Channel: notify.Email, To: "ada@example.com", Subject: "Hi", Text: "Hello"})
	if err == nil || !notify.IsPermanent(err) {
		t.Fatalf("Send = %v, want a permanent error", err)
	}
	if strings.Contains(err.Error(), "wrong-pass-123") {
		t.Errorf("error %q contains the password", err)
	}
	if n := len(srv.messages()); n != 0 {
		t.Errorf("server received %d messages, want 0", n)
	}
}

func TestSMTPStartTLS(t *testing.T) {
	t.Parallel()
	srv := startMailServer(t, serverOptions{tls: selfSignedTLS(t)})
	msg := notify.Message{ID: "9", Channel: notify.Email, To: "ada@example.com", Subject: "Hi", Text: "Hello"}

	// The certificate is self-signed: verifying it must fail...
	verifying := notify.NewSMTP(notify.SMTPConfig{Addr: srv.addr, From: "no-reply@rebound.test"})
	if err := verifying.Send(context.Background(), msg); err == nil {
		t.Fatal("Send with certificate verification succeeded against a self-signed certificate")
	}
	// ...and with verification off the message goes over TLS, authenticated.
	insecure := notify.NewSMTP(notify.SMTPConfig{Addr: srv.addr, From: "no-reply@rebound.test", Username: "rebound", Password: "s3cret", InsecureSkipVerify: true})
	if err := insecure.Send(context.Background(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := srv.messages()
	if len(msgs) != 1 || !msgs[0].tls || msgs[0].authUser != "rebound" {
		t.Fatalf("server received %+v, want one authenticated message over TLS", msgs)
	}
}

func TestSMTPReplyCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		opts          serverOptions
		wantPermanent bool
	}{
		{"550 to RCPT", serverOptions{rcptErr: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}}, true},
		{"451 to RCPT", serverOptions{rcptErr: &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Greylisted, try again"}}, false},
		{"554 to DATA", serverOptions{dataErr: &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Message rejected"}}, true},
		{"451 to DATA", serverOptions{dataErr: &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Local error"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startMailServer(t, tt.opts)
			sender := notify.NewSMTP(notify.SMTPConfig{Addr: srv.addr, From: "no-reply@rebound.test"})

			err := sender.Send(context.Background(), notify.Message{ID: "1", Channel: notify.Email, To: "ada@example.com", Subject: "Hi", Text: "one-time code 918273"})
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if notify.IsPermanent(err) != tt.wantPermanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, !tt.wantPermanent, tt.wantPermanent)
			}
			if strings.Contains(err.Error(), "918273") {
				t.Errorf("error %q contains the message body", err)
			}
		})
	}
}

func TestSMTPRejectsInvalidMessages(t *testing.T) {
	t.Parallel()
	srv := startMailServer(t, serverOptions{})
	valid := notify.Message{ID: "1", Channel: notify.Email, To: "ada@example.com", Subject: "Hi", Text: "Hello"}
	tests := []struct {
		name string
		from string
		edit func(m *notify.Message)
	}{
		{"CRLF in To", "", func(m *notify.Message) { m.To = "ada@example.com\r\nBcc: victim@example.com" }},
		{"LF in Subject", "", func(m *notify.Message) { m.Subject = "Hi\nBcc: victim@example.com" }},
		{"CR in From", "no-reply@rebound.test\rBcc: victim@example.com", func(*notify.Message) {}},
		{"not an address", "", func(m *notify.Message) { m.To = "ada at example" }},
		{"empty ID", "", func(m *notify.Message) { m.ID = "" }},
		{"ID with angle bracket", "", func(m *notify.Message) { m.ID = "1>\r\nBcc: x" }},
		{"empty body", "", func(m *notify.Message) { m.Text = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			from := tt.from
			if from == "" {
				from = "no-reply@rebound.test"
			}
			m := valid
			tt.edit(&m)
			err := notify.NewSMTP(notify.SMTPConfig{Addr: srv.addr, From: from}).Send(context.Background(), m)
			if !notify.IsPermanent(err) {
				t.Errorf("Send = %v, want a permanent error", err)
			}
		})
	}
	if n := len(srv.messages()); n != 0 {
		t.Errorf("server received %d messages, want 0", n)
	}
}

func TestSMTPTimeoutIsTransient(t *testing.T) {
	t.Parallel()
	// A server that accepts connections and never greets.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = notify.NewSMTP(notify.SMTPConfig{Addr: l.Addr().String(), From: "no-reply@rebound.test"}).
		Send(ctx, notify.Message{ID: "1", Channel: notify.Email, To: "ada@example.com", Subject: "Hi", Text: "Hello"})
	if err == nil || notify.IsPermanent(err) {
		t.Fatalf("Send = %v, want a transient error", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send = %v, want it to wrap context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("Send returned after %v, want it to honour the 200ms deadline", elapsed)
	}
}

// selfSignedTLS returns a server TLS config with a fresh self-signed
// certificate for 127.0.0.1.
func selfSignedTLS(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mx.test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}
