package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
)

// Token prefixes say what a credential is at a glance.
const (
	prefixStaff   = "rbs_"
	prefixShopper = "rbr_"
	prefixAPIKey  = "rbk_"
)

// Lifetimes and limits of credentials.
const (
	staffSessionLife   = 12 * time.Hour
	shopperSessionLife = 30 * 24 * time.Hour
	maxLoginFailures   = 10
	loginLockout       = 30 * time.Minute
)

// passwordLockout limits the guesses of a member's password, wherever it is
// checked: log-in, a supervisor's authorisation at the counter, a password
// change. Each try is claimed before the password is hashed.
var passwordLockout = db.Lockout{Limit: maxLoginFailures, For: loginLockout}

// tryPassword checks a member's password under the lock-out; log-in, the
// counter's supervisor check and the password change all go through it. It
// first waits for a hashing slot (auth.ErrBusy when none frees up: no try is
// spent), then claims a try (try.Claimed false: the member is locked, the
// password is not looked at), then hashes. The caller that lets the member
// in resets the failures (PasswordSucceeded).
func (s *server) tryPassword(ctx context.Context, u *db.StaffUser, password string) (ok bool, try db.Try, err error) {
	if u.LockedUntil != nil && s.now().Before(*u.LockedUntil) {
		// Known locked when read: answered without waiting for a slot (the
		// claim below stays the rule for everything read before the lock).
		return false, db.Try{LockedUntil: *u.LockedUntil}, nil
	}
	slot, err := s.deps.Passwords.Hold(ctx)
	if err != nil {
		return false, try, err
	}
	defer slot.Release()
	try, err = s.deps.DB.ClaimPasswordTry(ctx, u.ID, passwordLockout, s.now())
	if err != nil || !try.Claimed {
		return false, try, err
	}
	ok, err = slot.Check(u.PasswordHash, password)
	slot.Release()
	if err != nil || !ok {
		return false, try, err
	}
	return true, try, nil
}

// accountLocked is the answer to a try refused by a member's lock.
func (s *server) accountLocked(try db.Try) *Problem {
	p := NewProblem(http.StatusLocked, "account-locked", "too many failed log-ins; try again later")
	p.retryAfter = try.LockedUntil.Sub(s.now())
	return p
}

// Principal kinds.
const (
	kindStaff       = "staff"
	kindShopper     = "shopper"
	kindIntegration = "integration"
)

// principal is who is calling.
type principal struct {
	Kind       string
	UserID     string
	Username   string
	Role       string
	MerchantID string // "" for a platform operator
	ReturnID   string // for a shopper: the one return they may see
	// MustChange: the member logged in with a one-time password and may
	// only change it.
	MustChange bool
}

const principalKey = "principal"

func principalOf(c *gin.Context) *principal {
	if p, ok := c.Get(principalKey); ok {
		return p.(*principal)
	}
	return nil
}

var errUnauthenticated = NewProblem(http.StatusUnauthorized, "unauthenticated", "send a valid bearer token")

// authenticate resolves a bearer token to a staff member or a shopper.
func (s *server) authenticate(c *gin.Context) (*principal, error) {
	h := c.GetHeader("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || token == "" {
		return nil, errUnauthenticated
	}
	sess, err := s.deps.DB.SessionByHash(c.Request.Context(), auth.HashToken(token), s.now())
	if errors.Is(err, db.ErrNotFound) {
		return nil, errUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	p := &principal{Kind: sess.Kind, Role: sess.Role}
	if sess.MerchantID != nil {
		p.MerchantID = *sess.MerchantID
	}
	if sess.Kind == db.SessionShopper {
		p.ReturnID = *sess.ReturnID
		return p, nil
	}
	u, err := s.deps.DB.StaffByID(c.Request.Context(), *sess.StaffUserID)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, errUnauthenticated
	}
	p.UserID, p.Username, p.Role, p.MustChange = u.ID, u.Username, u.Role, u.MustChangePassword
	return p, nil
}

// staffOnly admits staff members whose role is one of roles.
func (s *server) staffOnly(roles ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := s.authenticate(c)
		if err == nil && p.Kind != kindStaff {
			err = NewProblem(http.StatusForbidden, "forbidden", "staff only")
		}
		if err == nil && p.MustChange && !slices.Contains(passwordChangeRoutes, c.FullPath()) {
			err = errPasswordChange
		}
		if err == nil && !slices.Contains(roles, p.Role) {
			s.audit(c, p, "access", "route", c.FullPath(), "denied", map[string]any{"needs": roles})
			err = NewProblem(http.StatusForbidden, "forbidden", "your role ("+p.Role+") may not do this; it needs "+strings.Join(roles, " or "))
		}
		if err != nil {
			fail(c, s.log, err)
			return
		}
		c.Set(principalKey, p)
		c.Next()
	}
}

// staffOrShopper admits the shopper holding the return's token and the staff
// of the return's merchant (checked by the handler, which reads the return).
func (s *server) staffOrShopper() gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := s.authenticate(c)
		if err == nil && p.Kind == kindStaff && p.MustChange {
			err = errPasswordChange
		}
		if err != nil {
			fail(c, s.log, err)
			return
		}
		c.Set(principalKey, p)
		c.Next()
	}
}

var errPasswordChange = NewProblem(http.StatusForbidden, "password-change-required", "change your one-time password first (POST /v1/auth/password)")

// apiKeyOnly admits a merchant's systems by X-API-Key.
func (s *server) apiKeyOnly() gin.HandlerFunc {
	return func(c *gin.Context) {
		key := c.GetHeader("X-API-Key")
		if key == "" {
			fail(c, s.log, NewProblem(http.StatusUnauthorized, "unauthenticated", "send the merchant's API key in X-API-Key"))
			return
		}
		k, err := s.deps.DB.APIKeyByHash(c.Request.Context(), auth.HashToken(key))
		if errors.Is(err, db.ErrNotFound) {
			err = NewProblem(http.StatusUnauthorized, "unauthenticated", "the API key is not valid")
		}
		if err != nil {
			fail(c, s.log, err)
			return
		}
		c.Set(principalKey, &principal{Kind: kindIntegration, MerchantID: k.MerchantID, Username: "api-key:" + k.Prefix})
		c.Next()
	}
}

// canSee tells whether p may see a return of merchantID with id returnID.
func (p *principal) canSee(merchantID, returnID string) bool {
	switch p.Kind {
	case kindShopper:
		return p.ReturnID == returnID
	case kindStaff:
		return p.MerchantID != "" && p.MerchantID == merchantID
	}
	return false
}

// audit appends a row to the audit log; a failure to write it is logged,
// never shown to the caller.
func (s *server) audit(c *gin.Context, p *principal, action, resourceType, resourceID, outcome string, detail map[string]any) {
	e := &db.AuditEntry{Action: action, ResourceType: resourceType, ResourceID: resourceID, Outcome: outcome,
		Origin: c.ClientIP(), RequestID: c.GetString(requestIDKey), At: s.now()}
	if p != nil {
		e.Actor, e.ActorRole = p.Username, p.Role
		if p.MerchantID != "" {
			m := p.MerchantID
			e.MerchantID = &m
		}
	}
	if detail != nil {
		if j, err := db.ToJSON(detail); err == nil {
			e.Detail = j
		}
	}
	if err := s.deps.DB.AppendAudit(c.Request.Context(), e); err != nil {
		s.log.ErrorContext(c.Request.Context(), "audit entry not written", "action", action, "err", err)
	}
}

// loginRequest names the merchant (its slug) the member belongs to: user
// names are unique per merchant. A platform operator names none.
type loginRequest struct {
	Merchant string `json:"merchant"`
	Username string `json:"username"`
	Password string `json:"password"`
}

func (s *server) routesAuth(r *gin.RouterGroup) {
	r.POST("/auth/login", s.handle(s.login))
	r.GET("/auth/session", s.staffOnly(staffRoles...), s.handle(s.whoAmI))
	r.POST("/auth/logout", s.staffOnly(staffRoles...), s.handle(s.logout))
	r.POST("/auth/password", s.staffOnly(staffRoles...), s.handle(s.changePassword))
}

// passwordChangeRoutes are all a member holding a one-time password may use.
var passwordChangeRoutes = []string{"/v1/auth/session", "/v1/auth/logout", "/v1/auth/password"}

type passwordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// changePassword replaces the caller's password, checking the current one;
// a one-time password stops being one.
func (s *server) changePassword(c *gin.Context) error {
	var req passwordRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	p := principalOf(c)
	var errs []FieldError
	if req.CurrentPassword == "" {
		errs = append(errs, FieldError{"current_password", "is required"})
	}
	switch {
	case len(req.NewPassword) < 12:
		errs = append(errs, FieldError{"new_password", "must be at least 12 characters"})
	case len(req.NewPassword) > 256:
		errs = append(errs, FieldError{"new_password", "must be at most 256 characters"})
	case req.NewPassword == req.CurrentPassword:
		errs = append(errs, FieldError{"new_password", "must differ from the current one"})
	case strings.Contains(strings.ToLower(req.NewPassword), p.Username):
		errs = append(errs, FieldError{"new_password", "must not contain your user name"})
	}
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	ctx := c.Request.Context()
	u, err := s.deps.DB.StaffByID(ctx, p.UserID)
	if err != nil {
		return err
	}
	// Guesses of the current password count towards the log-in lock-out.
	ok, try, err := s.tryPassword(ctx, u, req.CurrentPassword)
	if err != nil {
		return err
	}
	if !try.Claimed {
		s.audit(c, p, "auth.password", "staff_user", u.ID, db.OutcomeDenied, map[string]any{"why": "locked"})
		return s.accountLocked(try)
	}
	if !ok {
		s.audit(c, p, "auth.password", "staff_user", u.ID, db.OutcomeFailed, map[string]any{"why": "wrong current password", "locked": try.Locks})
		return Invalid(FieldError{"current_password", "is not your current password"})
	}
	// Setting the password clears the failures.
	hash, err := s.deps.Passwords.Hash(ctx, req.NewPassword)
	if err != nil {
		return err
	}
	if err := s.deps.DB.SetPassword(ctx, u.ID, hash, false); err != nil {
		return err
	}
	// Whoever else logged in with the old password is out.
	token, _ := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if err := s.deps.DB.EndOtherSessions(ctx, u.ID, auth.HashToken(token)); err != nil {
		return err
	}
	s.audit(c, p, "auth.password", "staff_user", u.ID, db.OutcomeSuccess, nil)
	c.Status(http.StatusNoContent)
	return nil
}

// staffRoles are every role a staff member can hold.
var staffRoles = []string{"clerk", "supervisor", "finance", "admin", "operator"}

// whoAmI describes the caller's session: who, which role, which merchant.
func (s *server) whoAmI(c *gin.Context) error {
	p := principalOf(c)
	out := gin.H{"username": p.Username, "role": p.Role, "merchant": "", "merchant_name": "", "password_change_required": p.MustChange}
	if p.MerchantID != "" {
		m, err := s.deps.DB.MerchantByID(c.Request.Context(), p.MerchantID)
		if err != nil {
			return err
		}
		out["merchant"], out["merchant_name"] = m.Slug, m.Name
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
	return nil
}

// logout ends the caller's session: its token stops working at once.
func (s *server) logout(c *gin.Context) error {
	token, _ := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if err := s.deps.DB.DeleteSession(c.Request.Context(), auth.HashToken(token)); err != nil {
		return err
	}
	s.audit(c, principalOf(c), "auth.logout", "staff_user", principalOf(c).UserID, db.OutcomeSuccess, nil)
	c.Status(http.StatusNoContent)
	return nil
}

// login exchanges a user name and password for a bearer token. Unknown
// names and wrong passwords get the same answer in the same time; ten
// failures lock the account for half an hour (tries are counted before the
// password is checked, so guesses sent at once cannot race past the limit).
func (s *server) login(c *gin.Context) error {
	var req loginRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	var errs []FieldError
	if strings.TrimSpace(req.Username) == "" {
		errs = append(errs, FieldError{"username", "is required"})
	}
	if req.Password == "" {
		errs = append(errs, FieldError{"password", "is required"})
	}
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	ctx := c.Request.Context()
	now := s.now()
	wrong := NewProblem(http.StatusUnauthorized, "bad-credentials", "wrong user name or password")
	u, err := s.staffOfLogin(ctx, req.Merchant, req.Username)
	if errors.Is(err, db.ErrNotFound) {
		// An unknown name costs a hash too, in the same pool.
		if err := s.deps.Passwords.Burn(ctx, req.Password); err != nil {
			return err
		}
		s.audit(c, &principal{Username: strings.ToLower(req.Username)}, "auth.login", "staff_user", "", db.OutcomeFailed, map[string]any{"why": "unknown user"})
		return wrong
	}
	if err != nil {
		return err
	}
	who := &principal{Username: u.Username, Role: u.Role, MerchantID: deref(u.MerchantID)}
	ok, try, err := s.tryPassword(ctx, u, req.Password)
	if err != nil {
		return err
	}
	if !try.Claimed {
		s.audit(c, who, "auth.login", "staff_user", u.ID, db.OutcomeDenied, map[string]any{"why": "locked"})
		return s.accountLocked(try)
	}
	if !ok || u.Disabled {
		s.audit(c, who, "auth.login", "staff_user", u.ID, db.OutcomeFailed, map[string]any{"locked": try.Locks})
		return wrong
	}
	if err := s.deps.DB.PasswordSucceeded(ctx, u.ID, try); err != nil {
		return err
	}
	token, err := auth.NewToken(prefixStaff)
	if err != nil {
		return err
	}
	sess := &db.Session{TokenHash: auth.HashToken(token), Kind: db.SessionStaff, StaffUserID: &u.ID,
		MerchantID: u.MerchantID, Role: u.Role, ExpiresAt: now.Add(staffSessionLife)}
	if err := s.deps.DB.CreateSession(ctx, sess); err != nil {
		return err
	}
	s.audit(c, who, "auth.login", "staff_user", u.ID, db.OutcomeSuccess, nil)
	merchant := ""
	if u.MerchantID != nil {
		if m, err := s.deps.DB.MerchantByID(ctx, *u.MerchantID); err == nil {
			merchant = m.Slug
		}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"token": token, "token_type": "Bearer", "role": u.Role, "merchant": merchant,
		"username": u.Username, "expires_at": sess.ExpiresAt, "password_change_required": u.MustChangePassword})
	return nil
}

// staffOfLogin finds the member a log-in names: by user name within the
// merchant of the slug, or among platform operators when there is none. An
// unknown merchant is no different from an unknown user.
func (s *server) staffOfLogin(ctx context.Context, merchantSlug, username string) (*db.StaffUser, error) {
	merchantID := ""
	if slug := strings.TrimSpace(merchantSlug); slug != "" {
		m, err := s.deps.DB.MerchantBySlug(ctx, strings.ToLower(slug))
		if err != nil {
			return nil, err
		}
		merchantID = m.ID
	}
	return s.deps.DB.StaffByUsername(ctx, merchantID, username)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func retryAfter(d time.Duration) string {
	secs := int(d.Seconds() + 0.999)
	if secs < 1 {
		secs = 1
	}
	return strconv.Itoa(secs)
}
