package returns

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Duration is a time.Duration that reads and writes as "48h0m0s" in JSON.
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// D is the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Condition is the grade an inspector gives an accepted item.
type Condition string

const (
	ConditionNew     Condition = "new"
	ConditionOpened  Condition = "opened"
	ConditionDamaged Condition = "damaged"
)

// Valid tells whether c is a known grade.
func (c Condition) Valid() bool {
	return c == ConditionNew || c == ConditionOpened || c == ConditionDamaged
}

// RestockingFees are basis points (1/100 of a percent) of the paid price
// kept back, by condition.
type RestockingFees struct {
	New     int64 `json:"new"`
	Opened  int64 `json:"opened"`
	Damaged int64 `json:"damaged"`
}

// For returns the fee rate of a condition.
func (f RestockingFees) For(c Condition) int64 {
	switch c {
	case ConditionOpened:
		return f.Opened
	case ConditionDamaged:
		return f.Damaged
	}
	return f.New
}

// Reasons a shopper may give for returning a line.
var Reasons = []string{"changed_mind", "too_small", "too_large", "not_as_described", "defective", "wrong_item", "arrived_late", "other"}

// Policy is a merchant's return policy. It is snapshotted into each return
// when it is filed, so later edits never change a running return.
type Policy struct {
	// WindowDays counts from delivery, else from purchase.
	WindowDays              int            `json:"window_days"`
	NonReturnableCategories []string       `json:"non_returnable_categories"`
	RestockingFees          RestockingFees `json:"restocking_fees"`
	// AutoApproveLimit approves returns worth at most this (minor units)
	// without review; 0 sends every return to review.
	AutoApproveLimit int64 `json:"auto_approve_limit"`
	// ReviewReasons always need a person's review.
	ReviewReasons []string `json:"review_reasons"`
	// ShippingRefundReasons refund the order's shipping (once per order).
	ShippingRefundReasons []string `json:"shipping_refund_reasons"`
	// RemoteRefundApprovalLimit: card refunds without the card above this
	// amount need a supervisor's approval first.
	RemoteRefundApprovalLimit int64 `json:"remote_refund_approval_limit"`
	// CreditValidityDays is how long store credit the merchant issues may
	// be redeemed, in days from its issue; 0: it never expires.
	CreditValidityDays int `json:"credit_validity_days,omitempty"`
	// Resolutions are what the shopper may choose per line; empty (a
	// policy from before resolutions) offers refunds only.
	Resolutions []Resolution `json:"resolutions,omitempty"`
	// CreditBonus is added to store credit a shopper chooses instead of a
	// refund.
	CreditBonus CreditBonus `json:"credit_bonus,omitzero"`

	VerifyWithin      Duration `json:"verify_within"`
	ShipWithin        Duration `json:"ship_within"`
	DropoffWithin     Duration `json:"dropoff_within"`
	ReviewSLA         Duration `json:"review_sla"`
	InspectionSLA     Duration `json:"inspection_sla"`
	SettlementOverdue Duration `json:"settlement_overdue"`
}

// DefaultPolicy is what a merchant gets until they change it.
func DefaultPolicy() Policy {
	return Policy{
		WindowDays:                7,
		NonReturnableCategories:   []string{},
		RestockingFees:            RestockingFees{New: 0, Opened: 1000, Damaged: 3000},
		AutoApproveLimit:          0,
		ReviewReasons:             []string{},
		ShippingRefundReasons:     []string{"defective", "wrong_item", "not_as_described"},
		RemoteRefundApprovalLimit: 20000,
		Resolutions:               []Resolution{ResolutionRefund},
		VerifyWithin:              Duration(10 * time.Minute),
		ShipWithin:                Duration(14 * 24 * time.Hour),
		DropoffWithin:             Duration(14 * 24 * time.Hour),
		ReviewSLA:                 Duration(48 * time.Hour),
		InspectionSLA:             Duration(48 * time.Hour),
		SettlementOverdue:         Duration(5 * 24 * time.Hour),
	}
}

// ParsePolicy reads a stored policy, filling what it leaves out from the
// defaults.
func ParsePolicy(b []byte) (Policy, error) {
	p := DefaultPolicy()
	if len(b) > 0 {
		if err := json.Unmarshal(b, &p); err != nil {
			return Policy{}, fmt.Errorf("policy: %w", err)
		}
	}
	return p, nil
}

// Bounds of a policy's lists: it is copied into every return filed under
// it.
const (
	MaxPolicyCategories = 100
	MaxCategoryLength   = 64
	// MaxCreditValidityDays is the longest store credit may be valid: ten
	// years.
	MaxCreditValidityDays = 3650
)

// Validate checks a policy a merchant wants to save.
func (p Policy) Validate() []FieldError {
	var errs []FieldError
	bad := func(field, msg string) { errs = append(errs, FieldError{Field: field, Message: msg}) }
	if p.WindowDays < 0 || p.WindowDays > 365 {
		bad("window_days", "must be from 0 to 365")
	}
	for name, v := range map[string]int64{"restocking_fees.new": p.RestockingFees.New, "restocking_fees.opened": p.RestockingFees.Opened, "restocking_fees.damaged": p.RestockingFees.Damaged} {
		if v < 0 || v > 10000 {
			bad(name, "must be basis points from 0 to 10000")
		}
	}
	if p.CreditValidityDays < 0 || p.CreditValidityDays > MaxCreditValidityDays {
		bad("credit_validity_days", fmt.Sprintf("must be from 0 (never expires) to %d", MaxCreditValidityDays))
	}
	errs = append(errs, p.validateResolutions()...)
	if p.AutoApproveLimit < 0 {
		bad("auto_approve_limit", "must not be negative")
	}
	if p.RemoteRefundApprovalLimit < 0 {
		bad("remote_refund_approval_limit", "must not be negative")
	}
	for _, list := range []struct {
		name    string
		reasons []string
	}{{"review_reasons", p.ReviewReasons}, {"shipping_refund_reasons", p.ShippingRefundReasons}} {
		for i, r := range list.reasons {
			switch {
			case !slices.Contains(Reasons, r):
				bad(fmt.Sprintf("%s[%d]", list.name, i), "is not a known reason")
			case slices.Index(list.reasons, r) < i:
				bad(fmt.Sprintf("%s[%d]", list.name, i), "is listed twice")
			}
		}
	}
	// The policy is copied into every return filed under it (and its
	// workflow's input), so what a merchant may write is bounded.
	if len(p.NonReturnableCategories) > MaxPolicyCategories {
		bad("non_returnable_categories", fmt.Sprintf("must list at most %d categories", MaxPolicyCategories))
	} else {
		for i, cat := range p.NonReturnableCategories {
			if strings.TrimSpace(cat) == "" || len(cat) > MaxCategoryLength {
				bad(fmt.Sprintf("non_returnable_categories[%d]", i), fmt.Sprintf("must be 1 to %d characters", MaxCategoryLength))
			}
		}
	}
	for _, d := range []struct {
		name   string
		v      Duration
		lo, hi time.Duration
	}{
		{"verify_within", p.VerifyWithin, time.Minute, time.Hour},
		{"ship_within", p.ShipWithin, time.Hour, 90 * 24 * time.Hour},
		{"dropoff_within", p.DropoffWithin, time.Hour, 90 * 24 * time.Hour},
		{"review_sla", p.ReviewSLA, time.Hour, 30 * 24 * time.Hour},
		{"inspection_sla", p.InspectionSLA, time.Hour, 30 * 24 * time.Hour},
		{"settlement_overdue", p.SettlementOverdue, time.Hour, 60 * 24 * time.Hour},
	} {
		if d.v.D() < d.lo || d.v.D() > d.hi {
			bad(d.name, fmt.Sprintf("must be between %s and %s", d.lo, d.hi))
		}
	}
	slices.SortFunc(errs, func(a, b FieldError) int {
		if a.Field < b.Field {
			return -1
		}
		if a.Field > b.Field {
			return 1
		}
		return 0
	})
	return errs
}
