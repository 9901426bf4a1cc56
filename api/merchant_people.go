package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/admin"
	"github.com/rebound-returns/rebound/app/views"
	"github.com/rebound-returns/rebound/returns"
)

// A merchant's admin runs the merchant's people and keys: staff invited
// with one-time passwords, role changes and disabling, API keys. Every
// change is audited.

func viewStaff(u *admin.Staff) views.StaffMember {
	return views.StaffMember{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Email: u.Email, Role: u.Role,
		Disabled: u.Disabled, MustChangePassword: u.MustChangePassword, LockedUntil: u.LockedUntil, CreatedAt: u.CreatedAt}
}

func (s *server) listStaff(c *gin.Context) error {
	p, err := readOffsetPage(c)
	if err != nil {
		return err
	}
	us, err := s.admin.Staff(c.Request.Context(), principalOf(c).MerchantID, p)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, offsetPage(c, p, us, viewStaff))
	return nil
}

type inviteRequest struct {
	Username    string       `json:"username"`
	DisplayName string       `json:"display_name"`
	Email       string       `json:"email"`
	Role        returns.Role `json:"role"`
}

func (s *server) inviteStaff(c *gin.Context) (string, error) {
	var req inviteRequest
	if err := bind(c, &req); err != nil {
		return "", err
	}
	in, err := s.admin.Invite(c.Request.Context(), principalOf(c).MerchantID, admin.StaffInput(req))
	if err != nil {
		return "", err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, gin.H{"staff": viewStaff(&in.Staff), "one_time_password": in.OneTimePassword})
	return in.Staff.ID, nil
}

type staffChangeRequest struct {
	Role     *returns.Role `json:"role"`
	Disabled *bool         `json:"disabled"`
}

// changeStaff changes a member's role or disables them; not their own
// account, and never the last active admin (admin.ChangeStaff).
func (s *server) changeStaff(c *gin.Context) (string, error) {
	var req staffChangeRequest
	if err := bind(c, &req); err != nil {
		return "", err
	}
	p := principalOf(c)
	u, err := s.admin.ChangeStaff(c.Request.Context(), admin.StaffChange{MerchantID: p.MerchantID, By: p.UserID,
		UserID: c.Param("id"), Role: req.Role, Disabled: req.Disabled})
	if err != nil {
		return "", err
	}
	c.JSON(http.StatusOK, viewStaff(&u))
	return u.ID, nil
}

func viewKey(k *admin.APIKey) views.APIKey {
	return views.APIKey{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Key: k.Key, CreatedBy: k.CreatedBy, CreatedAt: k.CreatedAt, RevokedAt: k.RevokedAt}
}

func (s *server) listAPIKeys(c *gin.Context) error {
	p, err := readOffsetPage(c)
	if err != nil {
		return err
	}
	ks, err := s.admin.APIKeys(c.Request.Context(), principalOf(c).MerchantID, p)
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
	k, err := s.admin.CreateAPIKey(c.Request.Context(), p.MerchantID, req.Name, p.Username)
	if err != nil {
		return "", err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, viewKey(&k))
	return k.ID, nil
}

func (s *server) revokeAPIKey(c *gin.Context) (string, error) {
	id := c.Param("id")
	if err := s.admin.RevokeAPIKey(c.Request.Context(), principalOf(c).MerchantID, id); err != nil {
		return "", err
	}
	c.Status(http.StatusNoContent)
	return id, nil
}
