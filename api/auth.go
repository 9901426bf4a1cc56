package api

import (
	"context"
	"github.com/rebound-returns/rebound/returns"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/session"
	"github.com/rebound-returns/rebound/app/wire"
)

// Token prefixes say what a credential is at a glance.
const (
	prefixStaff   = session.TokenPrefix
	prefixShopper = wire.ShopperPrefix
	prefixAPIKey  = "rbk_"
)

// Lifetimes and limits of credentials (a staff member's are app/session's).
const (
	staffSessionLife   = session.Life
	shopperSessionLife = wire.ShopperSessionLife
	maxLoginFailures   = session.MaxFailures
	loginLockout       = session.LockoutFor
)

// sessions is the staff's way in and out and the lookup of who calls
// (*session.Service).
type sessions interface {
	LogIn(ctx context.Context, req session.LoginRequest) (session.Login, *session.Event, error)
	LogOut(ctx context.Context, p session.Principal, token string) (*session.Event, error)
	WhoAmI(ctx context.Context, p session.Principal) (session.Me, error)
	ChangePassword(ctx context.Context, p session.Principal, req session.PasswordChange) (*session.Event, error)
	Authenticate(ctx context.Context, token string) (session.Principal, error)
	APIKey(ctx context.Context, key string) (session.Principal, error)
}

// Principal kinds.
const (
	kindStaff       = session.KindStaff
	kindShopper     = session.KindShopper
	kindIntegration = session.KindIntegration
)

// principal is who is calling: a session.Principal, to which it converts.
type principal struct {
	Kind       string
	UserID     string
	Username   string
	Role       returns.Role
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

// authenticate resolves the bearer token to a staff member or a shopper.
func (s *server) authenticate(c *gin.Context) (*principal, error) {
	sp, err := s.session.Authenticate(c.Request.Context(), bearerToken(c))
	if err != nil {
		return nil, err
	}
	p := principal(sp)
	return &p, nil
}

// bearerToken is the token of the Authorization header, "" when there is
// none.
func bearerToken(c *gin.Context) string {
	token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return token
}

// staffOnly admits staff members whose role covers one of roles
// (returns.Role.Covers: an admin does what a supervisor does).
func (s *server) staffOnly(roles ...returns.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := s.authenticate(c)
		if err == nil && p.Kind != kindStaff {
			err = NewProblem(http.StatusForbidden, "forbidden", "staff only")
		}
		if err == nil && p.MustChange && !slices.Contains(passwordChangeRoutes, c.FullPath()) {
			err = errPasswordChange
		}
		if err == nil && !p.Role.Admitted(roles) {
			s.audit(c, p, "access", "route", c.FullPath(), "denied", map[string]any{"needs": roles})
			err = NewProblem(http.StatusForbidden, "forbidden", "your role ("+string(p.Role)+") may not do this; it needs "+returns.JoinRoles(roles, " or "))
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
		sp, err := s.session.APIKey(c.Request.Context(), c.GetHeader("X-API-Key"))
		if err != nil {
			fail(c, s.log, err)
			return
		}
		p := principal(sp)
		c.Set(principalKey, &p)
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

// record writes a session's event to the audit log (nil: nothing to write).
func (s *server) record(c *gin.Context, ev *session.Event) {
	if ev != nil {
		p := principal(ev.Actor)
		s.audit(c, &p, ev.Action, "staff_user", ev.UserID, ev.Outcome, ev.Detail)
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
	ev, err := s.session.ChangePassword(c.Request.Context(), session.Principal(*principalOf(c)),
		session.PasswordChange{Current: req.CurrentPassword, New: req.NewPassword, Token: bearerToken(c)})
	s.record(c, ev)
	if err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// staffRoles are every role a staff member can hold.
var staffRoles = append(slices.Clone(returns.MerchantRoles), returns.RoleOperator)

// whoAmI describes the caller's session: who, which role, which merchant.
func (s *server) whoAmI(c *gin.Context) error {
	me, err := s.session.WhoAmI(c.Request.Context(), session.Principal(*principalOf(c)))
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"username": me.Username, "role": me.Role, "merchant": me.Merchant, "merchant_name": me.MerchantName,
		"password_change_required": me.MustChange})
	return nil
}

// logout ends the caller's session: its token stops working at once.
func (s *server) logout(c *gin.Context) error {
	ev, err := s.session.LogOut(c.Request.Context(), session.Principal(*principalOf(c)), bearerToken(c))
	s.record(c, ev)
	if err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// login exchanges a user name and password for a bearer token
// (session.Service.LogIn: the lock-out, the uniform bad-credentials answer).
func (s *server) login(c *gin.Context) error {
	var req loginRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	l, ev, err := s.session.LogIn(c.Request.Context(), session.LoginRequest{Merchant: req.Merchant, Username: req.Username, Password: req.Password})
	s.record(c, ev)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"token": l.Token, "token_type": "Bearer", "role": l.Role, "merchant": l.Merchant,
		"username": l.Username, "expires_at": l.ExpiresAt, "password_change_required": l.MustChange})
	return nil
}

func retryAfter(d time.Duration) string {
	secs := int(d.Seconds() + 0.999)
	if secs < 1 {
		secs = 1
	}
	return strconv.Itoa(secs)
}
