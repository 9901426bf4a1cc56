package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/onboard"
	"github.com/rebound-returns/rebound/returns"
	"github.com/rebound-returns/rebound/workflows"
)

// A merchant's admin runs the merchant: staff, terminals, API keys, the
// webhook's test delivery and the return policy. Every change is audited.

type staffView struct {
	ID                 string     `json:"id"`
	Username           string     `json:"username"`
	DisplayName        string     `json:"display_name,omitempty"`
	Email              string     `json:"email,omitempty"`
	Role               string     `json:"role"`
	Disabled           bool       `json:"disabled"`
	MustChangePassword bool       `json:"must_change_password"`
	LockedUntil        *time.Time `json:"locked_until,omitempty"`
	CreatedAt          time.Time  `json:"created_at"`
}

func viewStaff(u *db.StaffUser) staffView {
	return staffView{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Email: u.Email, Role: u.Role,
		Disabled: u.Disabled, MustChangePassword: u.MustChangePassword, LockedUntil: u.LockedUntil, CreatedAt: u.CreatedAt}
}

func (s *server) listStaff(c *gin.Context) error {
	p, err := readOffsetPage(c)
	if err != nil {
		return err
	}
	us, err := s.deps.DB.StaffOf(c.Request.Context(), principalOf(c).MerchantID, p)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, offsetPage(c, p, us, viewStaff))
	return nil
}

type inviteRequest struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email"`
	Role        string `json:"role"`
}

func (s *server) inviteStaff(c *gin.Context) (string, error) {
	var req inviteRequest
	if err := bind(c, &req); err != nil {
		return "", err
	}
	u, password, err := onboard.InviteStaff(c.Request.Context(), s.deps.DB, principalOf(c).MerchantID, onboard.StaffInput(req))
	if err != nil {
		return "", onboardProblem(err)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, gin.H{"staff": viewStaff(u), "one_time_password": password})
	return u.ID, nil
}

type staffChangeRequest struct {
	Role     *string `json:"role"`
	Disabled *bool   `json:"disabled"`
}

func (s *server) changeStaff(c *gin.Context) (string, error) {
	var req staffChangeRequest
	if err := bind(c, &req); err != nil {
		return "", err
	}
	p := principalOf(c)
	if req.Role == nil && req.Disabled == nil {
		return "", Invalid(FieldError{"role", "send a role, disabled, or both"})
	}
	if req.Role != nil {
		if err := onboard.CheckRole(*req.Role); err != nil {
			return "", onboardProblem(err)
		}
	}
	id := c.Param("id")
	if id == p.UserID {
		// An admin who demoted or disabled themselves could leave the
		// merchant with nobody to run it.
		return "", NewProblem(http.StatusConflict, "own-account", "ask another admin to change your own account")
	}
	if !validID(id) {
		return "", NewProblem(http.StatusNotFound, "not-found", "no such staff member")
	}
	u, err := s.deps.DB.ChangeStaff(c.Request.Context(), p.MerchantID, id, db.StaffChange{Role: req.Role, Disabled: req.Disabled})
	if errors.Is(err, db.ErrNotFound) {
		return "", NewProblem(http.StatusNotFound, "not-found", "no such staff member")
	}
	if errors.Is(err, db.ErrLastAdmin) {
		return "", NewProblem(http.StatusConflict, "last-admin", "the merchant would have no active admin left")
	}
	if err != nil {
		return "", err
	}
	c.JSON(http.StatusOK, viewStaff(u))
	return u.ID, nil
}

var terminalIDRe = regexp.MustCompile(`^[A-Z0-9]{8}$`)

type terminalRequest struct {
	StoreCode    string `json:"store_code"`
	StoreName    string `json:"store_name"`
	StoreAddress string `json:"store_address"`
	TerminalID   string `json:"terminal_id"`
	Kind         string `json:"kind"`
}

// createTerminal registers a terminal of a store (the store is made with
// it when new): physical ones take the cards at the counter, the virtual
// one is what Rebound sends the store's refunds from.
func (s *server) createTerminal(c *gin.Context) (string, error) {
	var req terminalRequest
	if err := bind(c, &req); err != nil {
		return "", err
	}
	var errs []FieldError
	req.StoreCode, req.TerminalID = strings.TrimSpace(req.StoreCode), strings.ToUpper(strings.TrimSpace(req.TerminalID))
	if req.StoreCode == "" || len(req.StoreCode) > 32 {
		errs = append(errs, FieldError{"store_code", "is required (at most 32 characters)"})
	}
	if !terminalIDRe.MatchString(req.TerminalID) {
		errs = append(errs, FieldError{"terminal_id", "must be the terminal's 8 letters or digits (ISO 8583 DE41)"})
	}
	if req.Kind != db.TerminalPhysical && req.Kind != db.TerminalVirtual {
		errs = append(errs, FieldError{"kind", "must be physical or virtual"})
	}
	if len(errs) > 0 {
		return "", Invalid(errs...)
	}
	ctx := c.Request.Context()
	merchantID := principalOf(c).MerchantID
	t := &db.Terminal{MerchantID: merchantID, TerminalID: req.TerminalID, Kind: req.Kind}
	err := s.deps.DB.Tx(ctx, func(tx *db.DB) error {
		st, err := tx.StoreByCode(ctx, merchantID, req.StoreCode)
		if errors.Is(err, db.ErrNotFound) {
			if strings.TrimSpace(req.StoreName) == "" {
				return Invalid(FieldError{"store_name", "is required for a new store"})
			}
			st = &db.Store{MerchantID: merchantID, Code: req.StoreCode, Name: strings.TrimSpace(req.StoreName),
				Address: strings.TrimSpace(req.StoreAddress)}
			err = tx.CreateStore(ctx, st)
		}
		if err != nil {
			return err
		}
		t.StoreID = st.ID
		return tx.CreateTerminal(ctx, t)
	})
	if errors.Is(err, db.ErrConflict) {
		return "", NewProblem(http.StatusConflict, "conflict", "terminal "+req.TerminalID+" is registered already, or its store already has a virtual terminal")
	}
	if err != nil {
		return "", err
	}
	c.JSON(http.StatusCreated, gin.H{"id": t.TerminalID, "store_id": t.StoreID, "kind": t.Kind})
	return t.ID, nil
}

type apiKeyView struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	Key       string     `json:"key,omitempty"`
	CreatedBy string     `json:"created_by,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

func viewKey(k *db.APIKey) apiKeyView {
	return apiKeyView{ID: k.ID, Name: k.Name, Prefix: k.Prefix, CreatedBy: k.CreatedBy, CreatedAt: k.CreatedAt, RevokedAt: k.RevokedAt}
}

func (s *server) listAPIKeys(c *gin.Context) error {
	p, err := readOffsetPage(c)
	if err != nil {
		return err
	}
	ks, err := s.deps.DB.APIKeysOf(c.Request.Context(), principalOf(c).MerchantID, p)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, offsetPage(c, p, ks, viewKey))
	return nil
}

type apiKeyRequest struct {
	Name string `json:"name"`
}

// createAPIKey makes a key and shows it this once; only its hash is kept.
func (s *server) createAPIKey(c *gin.Context) (string, error) {
	var req apiKeyRequest
	if err := bind(c, &req); err != nil {
		return "", err
	}
	p := principalOf(c)
	k, secret, err := onboard.NewAPIKey(c.Request.Context(), s.deps.DB, p.MerchantID, req.Name, p.Username)
	if err != nil {
		return "", onboardProblem(err)
	}
	v := viewKey(k)
	v.Key = secret
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, v)
	return k.ID, nil
}

func (s *server) revokeAPIKey(c *gin.Context) (string, error) {
	id := c.Param("id")
	notFound := NewProblem(http.StatusNotFound, "not-found", "no such API key, or revoked already")
	if !validID(id) {
		return "", notFound
	}
	err := s.deps.DB.RevokeAPIKey(c.Request.Context(), principalOf(c).MerchantID, id, s.now())
	if errors.Is(err, db.ErrNotFound) {
		return "", notFound
	}
	if err != nil {
		return "", err
	}
	c.Status(http.StatusNoContent)
	return id, nil
}

// maxPolicyBody bounds a policy: it is copied into every return filed under
// it and into its workflow's input.
const maxPolicyBody = 16 << 10

// putPolicy replaces the merchant's policy after checking it; returns filed
// afterwards get it, running ones keep the one they were filed under.
func (s *server) putPolicy(c *gin.Context) (string, error) {
	body, err := readBody(c)
	if err != nil {
		return "", err
	}
	if len(body) > maxPolicyBody {
		p := NewProblem(http.StatusRequestEntityTooLarge, "too-large", "a policy is at most 16 KiB of JSON")
		p.Errors = []FieldError{{Field: "body", Message: "must be at most 16 KiB"}}
		return "", p
	}
	p := returns.DefaultPolicy() // what the body leaves out keeps its default
	if err := bind(c, &p); err != nil {
		return "", err
	}
	if errs := p.Validate(); len(errs) > 0 {
		return "", Invalid(fieldErrors(errs, "")...)
	}
	pj, err := db.ToJSON(p)
	if err != nil {
		return "", err
	}
	merchantID := principalOf(c).MerchantID
	if err := s.deps.DB.SetPolicy(c.Request.Context(), merchantID, pj); err != nil {
		return "", err
	}
	c.JSON(http.StatusOK, gin.H{"policy": p, "reasons": returns.Reasons})
	return merchantID, nil
}

// testWebhook sends a test event to an endpoint and answers how it went.
func (s *server) testWebhook(c *gin.Context) (string, error) {
	id := c.Param("id")
	notFound := NewProblem(http.StatusNotFound, "not-found", "no such webhook endpoint")
	if !validID(id) {
		return "", notFound
	}
	ctx := c.Request.Context()
	merchantID := principalOf(c).MerchantID
	w, err := s.deps.DB.WebhookEndpoint(ctx, id)
	if errors.Is(err, db.ErrNotFound) || (err == nil && w.MerchantID != merchantID) {
		return "", notFound
	}
	if err != nil {
		return "", err
	}
	body, _ := json.Marshal(map[string]any{"type": "webhook.test", "at": s.now(), "endpoint_id": w.ID})
	m := &db.OutboxMessage{MerchantID: &merchantID, Channel: "webhook", Recipient: w.URL, WebhookID: &w.ID, BodyText: string(body)}
	if err := s.deps.DB.QueueOutbox(ctx, m); err != nil {
		return "", err
	}
	run, err := s.deliver(ctx, []string{m.ID})
	if err != nil {
		return "", err
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	_ = run.Get(wctx, nil) // the outbox row tells the outcome
	sent, err := s.deps.DB.OutboxByIDs(ctx, []string{m.ID})
	if err != nil {
		return "", err
	}
	if len(sent) != 1 {
		return "", fmt.Errorf("webhook test: outbox message %s not found", m.ID)
	}
	out := gin.H{"delivered": sent[0].Status == db.OutboxSent, "status": sent[0].Status, "attempts": sent[0].Attempts}
	if sent[0].LastError != "" {
		out["error"] = sent[0].LastError
	}
	c.JSON(http.StatusOK, out)
	return w.ID, nil
}

// deliver hands queued messages to a small workflow that sends them with
// retries.
func (s *server) deliver(ctx context.Context, ids []string) (client.WorkflowRun, error) {
	return s.deps.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "deliver/" + ids[0], TaskQueue: workflows.TaskQueue},
		workflows.DeliverWorkflow, activities.DeliverInput{OutboxIDs: ids})
}
