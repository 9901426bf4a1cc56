package filing

import (
	"context"
	"errors"
	"time"

	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/ids"
	"github.com/rebound-returns/rebound/otp"
	"github.com/rebound-returns/rebound/returns"
)

// A return filed without a lookup is verified with a code sent to the
// order's contact; the shopper who enters it gets a session on the return.

// Session is a shopper's token that opens one return, and when it ends.
type Session struct {
	Token     string
	ExpiresAt time.Time
}

// Opened is a return opened to the shopper who proved it theirs.
type Opened struct {
	ReturnID string
	Session  Session
}

// Verify checks a code against the return's. The workflow hears only that
// a check passed (the first time); the shopper gets a session.
func (s *Service) Verify(ctx context.Context, returnID, code string) (Opened, error) {
	if !otp.WellFormed(code) {
		return Opened{}, errCodeMalformed
	}
	r, err := s.returnOf(ctx, returnID)
	if err != nil {
		return Opened{}, err
	}
	result, challengeID, err := s.d.Store.CheckCode(ctx, r.ID, s.now(), otp.MaxTries, func(id, stored string) bool {
		return otp.Matches(s.d.OTPSecret, id, code, stored)
	})
	if err != nil {
		return Opened{}, err
	}
	if err := codeRefusal(result, "ask for a new one"); err != nil {
		return Opened{}, err
	}
	if r.Status == string(returns.PendingVerification) {
		if err := s.d.Workflow.Verify(ctx, r.ID, contract.VerifyRequest{ChallengeID: challengeID}); err != nil {
			return Opened{}, err
		}
	}
	sess, err := s.openSession(ctx, r.ID, r.MerchantID)
	if err != nil {
		return Opened{}, err
	}
	return Opened{ReturnID: r.ID, Session: sess}, nil
}

// Sent is a code on its way.
type Sent struct {
	// SentTo is the contact, masked.
	SentTo    string
	ExpiresAt time.Time
}

// Resend sends a new code for a return, within the limits; the request
// counts as a try on its order.
func (s *Service) Resend(ctx context.Context, returnID, clientIP string) (Sent, error) {
	r, err := s.returnOf(ctx, returnID)
	if err != nil {
		return Sent{}, err
	}
	if err := s.allowCodeTry(ctx, r, clientIP); err != nil {
		return Sent{}, err
	}
	res, err := s.d.Workflow.SendCode(ctx, r.ID, contract.SendCodeRequest{ClientIP: clientIP})
	if err != nil {
		return Sent{}, err
	}
	return Sent{SentTo: MaskContact(r.Contact, r.ContactKind), ExpiresAt: res.ExpiresAt}, nil
}

// returnOf reads a return; an id that is not one (not even a UUID) is the
// same errNoSuchReturn as one that does not exist.
func (s *Service) returnOf(ctx context.Context, id string) (*db.Return, error) {
	return ReturnOf(ctx, s.d.Store, id, nil)
}

// ReturnReader reads returns (app/wire assembles it from db's stores).
type ReturnReader interface {
	ReturnByID(ctx context.Context, id string) (*db.Return, error)
}

// ReturnOf reads the return id names, refusing an id that is not one as
// one that does not exist; see, when not nil, says whether the caller may
// see it (a return they may not is refused the same way).
func ReturnOf(ctx context.Context, store ReturnReader, id string, see See) (*db.Return, error) {
	if !ids.Valid(id) {
		return nil, errNoSuchReturn
	}
	r, err := store.ReturnByID(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, errNoSuchReturn
	}
	if err != nil {
		return nil, err
	}
	if see != nil && !see(r.MerchantID, r.ID) {
		return nil, errNoSuchReturn
	}
	return r, nil
}

// SessionStore keeps sessions (app/wire assembles it from db's stores).
type SessionStore interface {
	CreateSession(ctx context.Context, s *db.Session) error
}

// OpenSession opens a return to the shopper who proved it theirs: a new
// token with the prefix, ending at expires; only its hash is kept.
func OpenSession(ctx context.Context, store SessionStore, prefix string, expires time.Time, returnID, merchantID string) (string, *db.Session, error) {
	token, err := auth.NewToken(prefix)
	if err != nil {
		return "", nil, err
	}
	sess := &db.Session{TokenHash: auth.HashToken(token), Kind: db.SessionShopper, ReturnID: &returnID,
		MerchantID: &merchantID, ExpiresAt: expires}
	if err := store.CreateSession(ctx, sess); err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

func (s *Service) openSession(ctx context.Context, returnID, merchantID string) (Session, error) {
	token, sess, err := OpenSession(ctx, s.d.Store, s.d.ShopperPrefix, s.now().Add(s.d.SessionLife), returnID, merchantID)
	if err != nil {
		return Session{}, err
	}
	return Session{Token: token, ExpiresAt: sess.ExpiresAt}, nil
}
