// Package onboard brings merchants and their people onto Rebound: a new
// merchant with its first admin and API key, operators, staff invitations
// and API keys. The API's operator and admin routes and `rebound admin`
// both call it, so each is done one way, with the same checks.
package onboard

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // time zones on machines without a zoneinfo database

	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

// FieldError names a bad field of an input and what is wrong with it.
type FieldError struct {
	Field   string
	Message string
}

// InvalidError is an input refused field by field.
type InvalidError struct{ Fields []FieldError }

func (e *InvalidError) Error() string {
	var parts []string
	for _, f := range e.Fields {
		parts = append(parts, f.Field+": "+f.Message)
	}
	return "invalid: " + strings.Join(parts, "; ")
}

func invalid(fields ...FieldError) error { return &InvalidError{Fields: fields} }

// Roles a merchant's staff may hold; operators belong to no merchant.
var Roles = returns.MerchantRoles

var (
	slugRe     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)
	usernameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)
	midRe      = regexp.MustCompile(`^[A-Za-z0-9 ]{1,15}$`)
	accountRe  = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)
)

// MerchantInput is a new merchant and its first admin.
type MerchantInput struct {
	Slug               string
	Name               string
	Currency           string
	TimeZone           string
	AcquirerMerchantID string // the card acceptor id (ISO 8583 DE42); empty without card sales
	// GatewayAccount is the merchant's account at the payment gateway,
	// named in every gateway refund (empty: its slug). No two merchants
	// share one.
	GatewayAccount string
	// ReturnAddress is where shipped returns go: the merchant's first
	// store, "main", is made with it.
	ReturnAddress string
	AdminUsername string
	AdminEmail    string
}

// Onboarded is what a new merchant starts with. The password and the key
// are shown this once; only their hashes are kept.
type Onboarded struct {
	Merchant        *db.Merchant
	Admin           *db.StaffUser
	OneTimePassword string
	APIKey          *db.APIKey
	APIKeySecret    string
}

func (in *MerchantInput) check() error {
	in.Slug, in.Name = strings.TrimSpace(in.Slug), strings.TrimSpace(in.Name)
	in.Currency, in.TimeZone = strings.ToUpper(strings.TrimSpace(in.Currency)), strings.TrimSpace(in.TimeZone)
	in.AdminUsername = strings.ToLower(strings.TrimSpace(in.AdminUsername))
	var errs []FieldError
	bad := func(f, m string) { errs = append(errs, FieldError{f, m}) }
	if !slugRe.MatchString(in.Slug) {
		bad("slug", "must be 2 to 63 lower-case letters, digits or dashes, starting with a letter or digit")
	}
	if in.Name == "" || len(in.Name) > 200 {
		bad("name", "is required (at most 200 characters)")
	}
	if !returns.ValidCurrency(in.Currency) {
		bad("currency", "must be an ISO 4217 code such as EUR")
	}
	if in.TimeZone == "" {
		in.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(in.TimeZone); err != nil || in.TimeZone == "Local" {
		bad("time_zone", "must be an IANA time zone such as Europe/Stockholm")
	}
	in.ReturnAddress = strings.TrimSpace(in.ReturnAddress)
	if in.ReturnAddress == "" || len(in.ReturnAddress) > 300 {
		bad("return_address", "is required: where shipped returns go (at most 300 characters)")
	}
	if in.AcquirerMerchantID != "" && !midRe.MatchString(in.AcquirerMerchantID) {
		bad("acquirer_merchant_id", "must be up to 15 letters or digits (the acquirer's card acceptor id)")
	}
	in.GatewayAccount = strings.TrimSpace(in.GatewayAccount)
	if in.GatewayAccount != "" && !accountRe.MatchString(in.GatewayAccount) {
		bad("gateway_account", "must be 1 to 64 lower-case letters, digits, dashes or underscores (the merchant's account at the gateway)")
	}
	errs = append(errs, checkPerson("admin_username", "admin_email", in.AdminUsername, in.AdminEmail)...)
	if len(errs) > 0 {
		return invalid(errs...)
	}
	return nil
}

func checkPerson(userField, emailField, username, email string) []FieldError {
	var errs []FieldError
	if !usernameRe.MatchString(username) {
		errs = append(errs, FieldError{userField, "must be 3 to 64 lower-case letters, digits, dots, dashes or underscores"})
	}
	if email != "" {
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
			errs = append(errs, FieldError{emailField, "must be an e-mail address"})
		}
	}
	return errs
}

// Hasher hashes a password in the process's bounded pool (*auth.Pool):
// auth.ErrBusy when no slot frees up in time. The one-time passwords of
// new members are hashed there, as log-in's are.
type Hasher interface {
	Hash(ctx context.Context, password string) (string, error)
}

// CreateMerchant onboards a merchant: the merchant with the default policy,
// its first admin with a one-time password to change at the first log-in,
// and an API key for its systems, in one transaction. by names who did it.
// The admin's password is hashed in h before the transaction begins.
func CreateMerchant(ctx context.Context, d *db.DB, h Hasher, in MerchantInput, by string) (*Onboarded, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	policy, err := db.ToJSON(returns.DefaultPolicy())
	if err != nil {
		return nil, err
	}
	pw, err := newOneTime(ctx, h)
	if err != nil {
		return nil, err
	}
	out := &Onboarded{Merchant: &db.Merchant{Slug: in.Slug, Name: in.Name, Currency: in.Currency, TimeZone: in.TimeZone,
		AcquirerMerchantID: in.AcquirerMerchantID, GatewayAccount: in.GatewayAccount, Policy: policy}}
	err = d.Tx(ctx, func(tx *db.DB) error {
		if _, err := tx.Merchants.MerchantBySlug(ctx, in.Slug); err == nil {
			return invalid(FieldError{"slug", "is taken"})
		}
		// The account its gateway refunds name (its own, else its slug)
		// is no other merchant's: a payment is refunded only to its merchant.
		if taken, err := tx.Merchants.GatewayAccountTaken(ctx, out.Merchant.GatewayAccountName()); err != nil {
			return err
		} else if taken {
			return invalid(FieldError{"gateway_account", "is taken"})
		}
		if err := tx.Merchants.CreateMerchant(ctx, out.Merchant); err != nil {
			return conflictAs(err, "slug")
		}
		if err := tx.Merchants.CreateStore(ctx, &db.Store{MerchantID: out.Merchant.ID, Code: "main", Name: in.Name, Address: in.ReturnAddress}); err != nil {
			return err
		}
		var err error
		out.Admin, out.OneTimePassword, err = createStaff(ctx, tx, &out.Merchant.ID, StaffInput{Username: in.AdminUsername,
			Email: in.AdminEmail, Role: returns.RoleAdmin, DisplayName: in.Name + " admin"}, "admin_username", pw)
		if err != nil {
			return err
		}
		out.APIKey, out.APIKeySecret, err = NewAPIKey(ctx, tx, out.Merchant.ID, "first key", by)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// StaffInput is a person invited to a merchant's staff.
type StaffInput struct {
	Username    string
	DisplayName string
	Email       string
	Role        returns.Role
}

// InviteStaff adds a member to a merchant's staff with a one-time password,
// shown this once, that they change at their first log-in; it is hashed in
// h.
func InviteStaff(ctx context.Context, d *db.DB, h Hasher, merchantID string, in StaffInput) (*db.StaffUser, string, error) {
	var errs []FieldError
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	if !validRole(in.Role) {
		errs = append(errs, FieldError{"role", "must be one of " + returns.JoinRoles(Roles, ", ")})
	}
	if len(in.DisplayName) > 200 {
		errs = append(errs, FieldError{"display_name", "must be at most 200 characters"})
	}
	errs = append(errs, checkPerson("username", "email", in.Username, in.Email)...)
	if len(errs) > 0 {
		return nil, "", invalid(errs...)
	}
	return hashAndCreateStaff(ctx, d, h, &merchantID, in, "username")
}

// CreateOperator makes a platform operator, who onboards merchants and
// sees across them; the one-time password, hashed in h, is shown this once.
func CreateOperator(ctx context.Context, d *db.DB, h Hasher, username, email string) (*db.StaffUser, string, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	if errs := checkPerson("username", "email", username, email); len(errs) > 0 {
		return nil, "", invalid(errs...)
	}
	return hashAndCreateStaff(ctx, d, h, nil, StaffInput{Username: username, Email: email, Role: returns.RoleOperator, DisplayName: string(returns.RoleOperator)}, "username")
}

// oneTime is a one-time password and its hash.
type oneTime struct{ password, hash string }

// newOneTime makes a one-time password and hashes it in h.
func newOneTime(ctx context.Context, h Hasher) (oneTime, error) {
	password, err := OneTimePassword()
	if err != nil {
		return oneTime{}, err
	}
	hash, err := h.Hash(ctx, password)
	if err != nil {
		return oneTime{}, err
	}
	return oneTime{password: password, hash: hash}, nil
}

// hashAndCreateStaff makes the member with a new one-time password; a
// name already taken costs no hash.
func hashAndCreateStaff(ctx context.Context, d *db.DB, h Hasher, merchantID *string, in StaffInput, usernameField string) (*db.StaffUser, string, error) {
	if err := usernameFree(ctx, d, merchantID, in.Username, usernameField); err != nil {
		return nil, "", err
	}
	pw, err := newOneTime(ctx, h)
	if err != nil {
		return nil, "", err
	}
	return createStaff(ctx, d, merchantID, in, usernameField, pw)
}

// usernameFree refuses a user name the merchant (none for operators)
// already has.
func usernameFree(ctx context.Context, d *db.DB, merchantID *string, username, usernameField string) error {
	merchant := ""
	if merchantID != nil {
		merchant = *merchantID
	}
	if _, err := d.Staff.StaffByUsername(ctx, merchant, username); err == nil {
		return invalid(FieldError{usernameField, "is taken"})
	}
	return nil
}

// createStaff makes the member with the one-time password pw (a name taken
// meanwhile is the same refusal as one taken before).
func createStaff(ctx context.Context, d *db.DB, merchantID *string, in StaffInput, usernameField string, pw oneTime) (*db.StaffUser, string, error) {
	u := &db.StaffUser{MerchantID: merchantID, Username: in.Username, DisplayName: in.DisplayName, Email: in.Email,
		Role: in.Role, PasswordHash: pw.hash, MustChangePassword: true}
	if err := d.Staff.CreateStaff(ctx, u); err != nil {
		return nil, "", conflictAs(err, usernameField)
	}
	return u, pw.password, nil
}

func validRole(r returns.Role) bool { return slices.Contains(Roles, r) }

// CheckRole refuses a role a merchant's staff may not hold.
func CheckRole(r returns.Role) error {
	if !validRole(r) {
		return invalid(FieldError{"role", "must be one of " + returns.JoinRoles(Roles, ", ")})
	}
	return nil
}

// NewAPIKey makes an API key for a merchant's systems; the key is shown
// this once, only its hash is kept.
func NewAPIKey(ctx context.Context, d *db.DB, merchantID, name, by string) (*db.APIKey, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return nil, "", invalid(FieldError{"name", "is required (at most 100 characters)"})
	}
	secret, err := auth.NewToken("rbk_")
	if err != nil {
		return nil, "", err
	}
	k := &db.APIKey{MerchantID: merchantID, Name: name, Prefix: secret[:10], KeyHash: auth.HashToken(secret), CreatedBy: by}
	if err := d.Staff.CreateAPIKey(ctx, k); err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

// OneTimePassword makes a password to hand over once: 20 characters from
// an alphabet without look-alikes, in groups of five.
func OneTimePassword() (string, error) {
	const alphabet = "acdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY3479"
	var sb strings.Builder
	buf := make([]byte, 1)
	for n := 0; n < 20; {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		if int(buf[0]) >= 256-256%len(alphabet) {
			continue // no bias towards the alphabet's first letters
		}
		if n > 0 && n%5 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(alphabet[int(buf[0])%len(alphabet)])
		n++
	}
	return sb.String(), nil
}

// conflictAs turns a unique-constraint conflict into a field error.
func conflictAs(err error, field string) error {
	if errors.Is(err, db.ErrConflict) {
		return invalid(FieldError{field, "is taken"})
	}
	return fmt.Errorf("onboard: %w", err)
}
