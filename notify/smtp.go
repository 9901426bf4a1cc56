package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"time"
)

// SMTPConfig configures an SMTPSender.
type SMTPConfig struct {
	Addr     string // host:port of the SMTP server
	From     string // sender, "no-reply@example.com" or "Rebound <no-reply@example.com>"
	Username string // optional: authenticate with AUTH PLAIN when set
	Password string
	// HelloName is the name sent with EHLO; empty means "localhost".
	HelloName string
	// Timeout bounds one whole delivery, from dial to the reply to DATA;
	// zero means 30 seconds. A shorter ctx deadline wins.
	Timeout time.Duration
	// InsecureSkipVerify accepts any certificate after STARTTLS. Only for
	// development relays with self-signed certificates.
	InsecureSkipVerify bool
}

// SMTPSender sends e-mail through one SMTP server.
type SMTPSender struct {
	cfg SMTPConfig
}

// NewSMTP returns an SMTPSender for the server described by cfg.
func NewSMTP(cfg SMTPConfig) *SMTPSender {
	return &SMTPSender{cfg: cfg}
}

const defaultSMTPTimeout = 30 * time.Second

// Send delivers m over one SMTP session: EHLO, STARTTLS when the server
// offers it, AUTH PLAIN when a username is configured (only over TLS or to
// localhost), then MAIL, RCPT and DATA. Invalid messages, including CR or LF
// in From, To or Subject, fail permanently before connecting. 5xx replies are
// permanent, 4xx replies and network failures transient.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	env, err := composeEmail(s.cfg.From, m, time.Now())
	if err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(s.cfg.Addr)
	if err != nil {
		return Permanent(fmt.Errorf("email %s: SMTP address: %w", m.ID, err))
	}

	timeout := s.cfg.Timeout
	if timeout <= 0 {
		timeout = defaultSMTPTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	if err := s.deliver(ctx, host, env); err != nil {
		switch {
		case ctx.Err() != nil:
			// The connection was cut because ctx ended; say so rather than
			// report "use of closed network connection".
			err = ctx.Err()
		case errors.Is(err, os.ErrDeadlineExceeded):
			// The connection's deadline (ctx's) fired a moment before ctx.
			err = fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
		}
		return fmt.Errorf("email %s: %w", m.ID, err)
	}
	return nil
}

func (s *SMTPSender) deliver(ctx context.Context, host string, env envelope) error {
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	// net/smtp knows nothing of contexts: cut the connection on cancel.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return smtpError("greeting", err)
	}
	defer c.Close()
	if s.cfg.HelloName != "" {
		if err := c.Hello(s.cfg.HelloName); err != nil {
			return smtpError("EHLO", err)
		}
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		tlsConfig := &tls.Config{
			ServerName:         host,
			MinVersion:         tls.VersionTLS12,
			InsecureSkipVerify: s.cfg.InsecureSkipVerify, //nolint:gosec // opt-in, for development relays
		}
		if err := c.StartTLS(tlsConfig); err != nil {
			return smtpError("STARTTLS", err)
		}
	}
	if s.cfg.Username != "" {
		if err := s.auth(c, host); err != nil {
			return err
		}
	}
	if err := c.Mail(env.from); err != nil {
		return smtpError("MAIL FROM", err)
	}
	if err := c.Rcpt(env.to); err != nil {
		return smtpError("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return smtpError("DATA", err)
	}
	if _, err := w.Write(env.data); err != nil {
		return smtpError("DATA", err)
	}
	if err := w.Close(); err != nil {
		return smtpError("DATA", err)
	}
	// The server has taken the message; a failed QUIT must not cause a resend.
	_ = c.Quit()
	return nil
}

// auth runs AUTH PLAIN, refusing to send the password in clear text to
// anything but localhost.
func (s *SMTPSender) auth(c *smtp.Client, host string) error {
	if _, isTLS := c.TLSConnectionState(); !isTLS && !isLocalhost(host) {
		return Permanent(errors.New("AUTH: server offers no STARTTLS; refusing to send the password in clear text"))
	}
	if ok, _ := c.Extension("AUTH"); !ok {
		return Permanent(errors.New("AUTH: server does not offer authentication"))
	}
	if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, host)); err != nil {
		return smtpError("AUTH", err)
	}
	return nil
}

// isLocalhost matches the hosts net/smtp's PlainAuth accepts without TLS.
func isLocalhost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// smtpError names the step that failed and marks 5xx replies permanent.
func smtpError(step string, err error) error {
	err = fmt.Errorf("%s: %w", step, err)
	var reply *textproto.Error
	if errors.As(err, &reply) && reply.Code/100 == 5 {
		return Permanent(err)
	}
	return err
}
